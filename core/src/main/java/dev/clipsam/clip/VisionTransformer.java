package dev.clipsam.clip;

import dev.clipsam.io.Weights;
import dev.clipsam.nn.Activation;
import dev.clipsam.nn.Conv2d;
import dev.clipsam.nn.LayerNorm;
import dev.clipsam.nn.Precision;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * CLIP's image tower (OpenAI clip/model.py {@code VisionTransformer}): patch embedding by a strided convolution,
 * class token, positional embedding, {@code ln_pre}, residual blocks, {@code ln_post} and projection of the
 * class token.
 *
 * <p>Any input whose sides are multiples of the patch size is accepted; the positional grid is resized to it
 * ({@link PositionalEmbedding}) once per size and cached. ClipSAM reads the raw residual stream after chosen
 * blocks (docs/DESIGN.md §2: blocks 6/12/18/24 of ViT-L/14 at 518 px, class token dropped, no {@code ln_post}).
 */
public final class VisionTransformer {

    private static final double EPS = 1e-5;

    private final int patch;
    private final int width;
    private final Conv2d conv1;
    private final Tensor classEmbedding;
    private final Tensor positionalEmbedding;
    private final LayerNorm lnPre;
    private final Transformer transformer;
    private final LayerNorm lnPost;
    private final Tensor proj;
    private final Map<Long, Tensor> positionalBySize = new ConcurrentHashMap<>();

    VisionTransformer(Weights w, ClipConfig config, Activation activation, Precision precision) {
        this.patch = config.visionPatchSize();
        this.width = config.visionWidth();
        // float32 in every precision, like SAM's patch embedding (libtorch's bf16 convolution is wrong for some
        // shapes on AVX512-BF16 CPUs; see ImageEncoderViT); it is a small part of the work.
        this.conv1 = new Conv2d(w.tensor("conv1.weight"), null, patch, 0);
        this.classEmbedding = w.tensor("class_embedding");
        this.positionalEmbedding = w.tensor("positional_embedding");
        this.lnPre = new LayerNorm(w.tensor("ln_pre.weight"), w.tensor("ln_pre.bias"), EPS);
        this.transformer = new Transformer(w.child("transformer"), config.visionLayers(), config.visionHeads(),
                activation, precision);
        this.lnPost = new LayerNorm(w.tensor("ln_post.weight"), w.tensor("ln_post.bias"), EPS);
        this.proj = w.tensor("proj");
    }

    public int patchSize() {
        return patch;
    }

    public int layers() {
        return transformer.layers();
    }

    /** The positional embedding for a grid of {@code rows x cols} patches, computed once per size. */
    public Tensor positionalEmbedding(int rows, int cols) {
        return positionalBySize.computeIfAbsent(((long) rows << 32) | cols, key -> {
            Tensor resized;
            try (PointerScope scope = new PointerScope()) {
                resized = PositionalEmbedding.resize(positionalEmbedding, rows, cols).contiguous();
                resized.retainReference();
            }
            return resized;
        });
    }

    /** {@code conv1(images)} flattened to {@code [B, rows*cols, width]}, row-major over the patch grid. */
    public Tensor patchEmbed(Tensor images) {
        long b = images.size(0);
        long h = images.size(2);
        long w = images.size(3);
        if (h % patch != 0 || w % patch != 0) {
            throw new IllegalArgumentException("image size " + h + "x" + w + " is not a multiple of the patch size "
                    + patch);
        }
        return conv1.forward(images).reshape(b, width, (h / patch) * (w / patch)).permute(0, 2, 1)
                .to(ScalarType.Float);
    }

    /** {@code [class_embedding; patches] + positional_embedding}: the input of {@code ln_pre}. */
    public Tensor tokens(Tensor patches, int rows, int cols) {
        long b = patches.size(0);
        Tensor cls = classEmbedding.view(1, 1, width).expand(b, 1, width);
        return torch.cat(new TensorVector(cls, patches), 1).add(positionalEmbedding(rows, cols));
    }

    /**
     * Runs the tower up to the last wanted block.
     *
     * @param images {@code [B, 3, H, W]}, preprocessed, H and W multiples of the patch size
     * @param blocks 1-based block numbers (the residual stream after block n)
     */
    public VisionFeatures forward(Tensor images, int... blocks) {
        int rows = (int) (images.size(2) / patch);
        int cols = (int) (images.size(3) / patch);
        Tensor x = lnPre.forward(tokens(patchEmbed(images), rows, cols));
        return new VisionFeatures(transformer.forward(x, false, blocks), rows, cols);
    }

    /** {@code ln_post(x[:, 0]) @ proj}: the image embedding from the last block's residual stream. */
    public Tensor embedding(Tensor lastBlock) {
        return lnPost.forward(lastBlock.select(1, 0)).matmul(proj);
    }

    /** {@code ln_post(tokens) @ proj} for every token (dense CLIP features). */
    public Tensor projectTokens(Tensor tokens) {
        return lnPost.forward(tokens).matmul(proj);
    }

    /** The image embedding ({@code encode_image}). */
    public Tensor encode(Tensor images) {
        return embedding(forward(images, layers()).block(layers()));
    }
}

package dev.clipsam.sam;

import dev.clipsam.io.Weights;
import dev.clipsam.nn.Conv2d;
import dev.clipsam.nn.LayerNorm2d;
import dev.clipsam.nn.Precision;
import dev.clipsam.nn.Scopes;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.bytedeco.pytorch.Tensor;

/**
 * SAM's image encoder (segment_anything/modeling/image_encoder.py {@code ImageEncoderViT}, a ViTDet backbone):
 * 16x16 patch embedding to a 64x64 grid, absolute positions, blocks with windowed or global attention, and a neck
 * (1x1 conv, LayerNorm2d, 3x3 conv, LayerNorm2d) to the {@code [1, 256, 64, 64]} image embedding.
 */
public final class ImageEncoderViT {

    private static final double NECK_EPS = 1e-6;

    private final Conv2d patchEmbed;
    private final Tensor posEmbed;
    private final List<ImageEncoderBlock> blocks = new ArrayList<>();
    private final Conv2d neckConv1;
    private final LayerNorm2d neckNorm1;
    private final Conv2d neckConv2;
    private final LayerNorm2d neckNorm2;

    ImageEncoderViT(Weights w, SamConfig config, Precision precision) {
        // Convolutions stay float32 in every precision: libtorch 2.10's bf16 convolution (oneDNN) returns wrong
        // values for this 16x16/16 patch embedding with 1024 or more output channels on AVX512-BF16 CPUs (max error
        // 6 against float32, and NaN downstream, measured), and they are a small part of the work.
        Weights patch = w.child("patch_embed").child("proj");
        this.patchEmbed = new Conv2d(patch.tensor("weight"), patch.tensor("bias"), SamConfig.PATCH_SIZE, 0);
        this.posEmbed = w.tensor("pos_embed");
        for (int i = 0; i < config.encoderDepth(); i++) {
            blocks.add(new ImageEncoderBlock(w.child("blocks").child(i), config.encoderNumHeads(),
                    config.isGlobal(i) ? 0 : SamConfig.WINDOW_SIZE, precision));
        }
        Weights neck = w.child("neck");
        this.neckConv1 = new Conv2d(neck.tensor("0.weight"), null, 1, 0);
        this.neckNorm1 = new LayerNorm2d(neck.tensor("1.weight"), neck.tensor("1.bias"), NECK_EPS);
        this.neckConv2 = new Conv2d(neck.tensor("2.weight"), null, 1, 1);
        this.neckNorm2 = new LayerNorm2d(neck.tensor("3.weight"), neck.tensor("3.bias"), NECK_EPS);
    }

    /** {@code [1, 3, 1024, 1024]} normalised and padded input to {@code [1, 256, 64, 64]}. */
    public Tensor forward(Tensor input) {
        return forward(input, null);
    }

    /**
     * The forward pass; {@code trace}, if given, receives the NHWC residual stream after the positional
     * embedding (index -1) and after every block (0-based), for debugging.
     */
    public Tensor forward(Tensor input, BiConsumer<Integer, Tensor> trace) {
        Tensor x = Scopes.keep(() -> patchEmbed.forward(input).permute(0, 2, 3, 1).add(posEmbed));
        if (trace != null) {
            trace.accept(-1, x);
        }
        for (int i = 0; i < blocks.size(); i++) {
            ImageEncoderBlock block = blocks.get(i);
            Tensor in = x;
            x = Scopes.keep(() -> block.forward(in));
            if (trace != null) {
                trace.accept(i, x);
            } else {
                Scopes.free(in);
            }
        }
        Tensor last = x;
        return Scopes.keep(() -> neckNorm2.forward(neckConv2.forward(
                neckNorm1.forward(neckConv1.forward(last.permute(0, 3, 1, 2))))));
    }
}

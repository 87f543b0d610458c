package dev.clipsam.pipeline;

import dev.clipsam.clip.ClipModel;
import dev.clipsam.clip.ClipPreprocess;
import dev.clipsam.clip.PromptEnsemble;
import dev.clipsam.clip.VisionFeatures;
import dev.clipsam.image.Image8;
import dev.clipsam.nn.Scopes;
import dev.clipsam.nn.Tensors;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * The CLIP stage of ClipSAM for one image: APRIL-GAN preprocessing at the working size (518 px by default), one
 * image-tower pass, and the patch tokens of every wanted block as {@code [C, H, W]} grids (class token dropped, no
 * {@code ln_post}), which is what the UMCI head reads (docs/DESIGN.md §1-2).
 */
public final class ClipStages {

    private final ClipModel clip;
    private final ClipPreprocess preprocess;
    private final int[] blocks;
    private final TextFeatureCache textCache;

    public ClipStages(ClipModel clip, int imageSize, List<Integer> blocks) {
        this(clip, imageSize, blocks, null);
    }

    /** @param textCache where text features are kept between runs, or null */
    public ClipStages(ClipModel clip, int imageSize, List<Integer> blocks, TextFeatureCache textCache) {
        int patch = clip.config().visionPatchSize();
        if (imageSize % patch != 0) {
            throw new IllegalArgumentException("image size " + imageSize + " is not a multiple of the CLIP patch size "
                    + patch);
        }
        for (int b : blocks) {
            if (b < 1 || b > clip.config().visionLayers()) {
                throw new IllegalArgumentException("CLIP " + clip.config().name() + " has no block " + b + " (1.."
                        + clip.config().visionLayers() + ")");
            }
        }
        this.clip = clip;
        this.preprocess = new ClipPreprocess(imageSize, ClipPreprocess.Crop.SQUASH);
        this.blocks = blocks.stream().mapToInt(Integer::intValue).toArray();
        this.textCache = textCache;
    }

    /** The CLIP blocks read, 1-based. */
    public List<Integer> blocks() {
        return java.util.Arrays.stream(blocks).boxed().toList();
    }

    public int imageSize() {
        return preprocess.size();
    }

    public int grid() {
        return preprocess.size() / clip.config().visionPatchSize();
    }

    public ClipModel clip() {
        return clip;
    }

    /** {@code [2, Ct]} row-major: the normal and abnormal text features of a class (prompt ensemble). */
    public float[] textFeatures(PromptEnsemble prompts, String className) {
        if (textCache != null) {
            return textCache.get(className, () -> computeTextFeatures(prompts, className));
        }
        return computeTextFeatures(prompts, className);
    }

    private float[] computeTextFeatures(PromptEnsemble prompts, String className) {
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            return Tensors.toFloats(prompts.encode(clip, className).t().contiguous());
        }
    }

    /** Per wanted block, {@code [C, H, W]} float32 tokens of the image (in the caller's scope). */
    public List<Tensor> tokens(Image8 image) {
        List<Tensor> out = new ArrayList<>();
        try (NoGradGuard guard = new NoGradGuard()) {
            Tensor input = preprocess.apply(image).unsqueeze(0);
            VisionFeatures f = clip.visual().forward(input, blocks);
            int g = grid();
            for (int b : blocks) {
                out.add(Scopes.keep(() -> f.patchTokens(b).squeeze(0).transpose(0, 1).reshape(-1, g, g).contiguous()));
            }
        }
        return out;
    }
}

package dev.clipsam.mmr;

import dev.clipsam.image.Image8;
import dev.clipsam.nn.Tensors;
import dev.clipsam.sam.SamPrediction;
import dev.clipsam.sam.SamPredictor;
import dev.clipsam.sam.SamPrompt;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;

/**
 * {@link Segmenter} on the SAM port: {@code SamPredictor.set_image} once per image, multimask decoding, and SAM's own
 * mask postprocessing with (S, S) as the final size (docs/DESIGN.md §5).
 */
public final class SamSegmenter implements Segmenter {

    private final SamPredictor predictor;

    public SamSegmenter(SamPredictor predictor) {
        this.predictor = predictor;
    }

    @Override
    public void setImage(Image8 image) {
        try (NoGradGuard guard = new NoGradGuard()) {
            predictor.setImage(image);
        }
    }

    @Override
    public GridMasks decode(List<SamPrompt> prompts, int grid) {
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            SamPrediction p = predictor.predictBatch(prompts, true, grid, grid);
            int c = (int) p.scores().size(1);
            return new GridMasks(prompts.size(), c, Tensors.toFloats(p.scores()), Tensors.toFloats(p.logits()));
        }
    }
}

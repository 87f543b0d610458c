package dev.clipsam.mmr;

import dev.clipsam.image.Image8;
import dev.clipsam.sam.SamPrompt;
import java.util.ArrayList;
import java.util.List;

/**
 * Multi-level Mask Refinement (paper §3.3, docs/DESIGN.md §5): prompts from the rough map ({@link PromptExtractor}, Eq. 7),
 * SAM on the original image with a box and points per region (Eq. 8), and the fusion of SAM's masks into the map
 * ({@link MaskFusion}, Eq. 9). SAM is not touched when no region survives: then {@code O_final = O}.
 */
public final class MaskRefinement {

    /**
     * What refinement produced for one image.
     *
     * @param prompts     the regions, boxes and points
     * @param scores      {@code [q, c]} SAM's predicted IoUs (raw), box order
     * @param gridLogits  {@code [q, c, S, S]} SAM's logits on the grid when asked for, else null
     * @param finalMap    O_final, row-major S x S
     * @param denominator D of Eq. 9 (1 without boxes)
     */
    public record Result(RegionPrompts prompts, float[] scores, float[] gridLogits, float[] finalMap,
            double denominator) {
    }

    private final PromptExtractor extractor;
    private final MmrConfig config;

    public MaskRefinement(MmrConfig config) {
        this.extractor = new PromptExtractor(config);
        this.config = config;
    }

    public MmrConfig config() {
        return config;
    }

    public RegionPrompts prompts(float[] rough, int grid, int height, int width) {
        return extractor.extract(rough, grid, height, width);
    }

    /**
     * @param image      the original image
     * @param rough      O on the S x S grid (the image squashed to a square)
     * @param keepLogits keep SAM's grid logits in the result (costs {@code 12 S^2} bytes per box)
     */
    public Result refine(Image8 image, float[] rough, int grid, Segmenter sam, boolean keepLogits) {
        return refine(image, prompts(rough, grid, image.height(), image.width()), rough, sam, keepLogits);
    }

    /** Refinement with prompts already extracted from {@code rough}. */
    public Result refine(Image8 image, RegionPrompts prompts, float[] rough, Segmenter sam, boolean keepLogits) {
        MaskFusion fusion = new MaskFusion(rough);
        List<RegionPrompts.Box> boxes = prompts.boxes();
        if (boxes.isEmpty()) {
            return new Result(prompts, new float[0], keepLogits ? new float[0] : null, fusion.result(), 1.0);
        }
        int pixels = prompts.grid() * prompts.grid();
        sam.setImage(image);
        float[] scores = null;
        float[] logits = null;
        int c = 0;
        for (int from = 0; from < boxes.size(); ) {
            // boxes with equal point counts are decoded together (a padding point would change the masks)
            int to = from + 1;
            int n = boxes.get(from).points().length;
            while (to < boxes.size() && boxes.get(to).points().length == n) {
                to++;
            }
            List<SamPrompt> batch = new ArrayList<>();
            boxes.subList(from, to).forEach(b -> batch.add(b.prompt()));
            Segmenter.GridMasks out = sam.decode(batch, prompts.grid());
            if (scores == null) {
                c = out.masksPerPrompt();
                scores = new float[boxes.size() * c];
                logits = keepLogits ? new float[boxes.size() * c * pixels] : null;
            }
            for (int b = 0; b < out.prompts(); b++) {
                boolean[][] masks = new boolean[c][pixels];
                float[] s = new float[c];
                for (int j = 0; j < c; j++) {
                    int base = (b * c + j) * pixels;
                    for (int k = 0; k < pixels; k++) {
                        masks[j][k] = out.logits()[base + k] > 0;
                    }
                    s[j] = out.scores()[b * c + j];
                }
                fusion.add(masks, s);
                System.arraycopy(s, 0, scores, (from + b) * c, c);
                if (logits != null) {
                    System.arraycopy(out.logits(), b * c * pixels, logits, (from + b) * c * pixels, c * pixels);
                }
            }
            from = to;
        }
        return new Result(prompts, scores, logits, fusion.result(), fusion.denominator());
    }
}

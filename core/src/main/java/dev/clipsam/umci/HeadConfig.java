package dev.clipsam.umci;

import java.util.List;

/**
 * The shape of an anomaly head (docs/DESIGN.md §3).
 *
 * @param type         UMCI or an ablation
 * @param clipWidth    C, the CLIP image tower's width (1024 for ViT-L/14)
 * @param textDim      Ct, the CLIP embedding size (768)
 * @param hidden       c_h, UMCI's hidden width (256; Table 3 of the paper is not published)
 * @param scales       s1, s2: pooling kernels of the scale path (3, 5)
 * @param stages       CLIP blocks read, 1-based (6, 12, 18, 24)
 * @param stageWeights loss weight of each stage (0.1, 0.1, 0.1, 0.7)
 */
public record HeadConfig(HeadType type, int clipWidth, int textDim, int hidden, List<Integer> scales,
        List<Integer> stages, List<Double> stageWeights) {

    public HeadConfig {
        scales = List.copyOf(scales);
        stages = List.copyOf(stages);
        stageWeights = List.copyOf(stageWeights);
        if (scales.size() != 2) {
            throw new IllegalArgumentException("the scale path has two pooling scales, not " + scales);
        }
        if (stages.size() != stageWeights.size() || stages.isEmpty()) {
            throw new IllegalArgumentException("one loss weight per stage");
        }
    }

    /** The paper's head on ViT-L/14: C 1024, Ct 768, c_h 256, scales 3 and 5, blocks 6/12/18/24. */
    public static HeadConfig paper(HeadType type) {
        return new HeadConfig(type, 1024, 768, 256, List.of(3, 5), List.of(6, 12, 18, 24), List.of(0.1, 0.1, 0.1, 0.7));
    }
}

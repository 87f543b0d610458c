package dev.clipsam.mmr;

/**
 * Paper Eq. 9 with its "Norm" pinned (docs/DESIGN.md §1, §5), fed one box at a time:
 *
 * <pre>
 *   s'_ij   = clamp(s_ij, 0, 1)                 SAM's predicted IoU of mask j of box i
 *   F       = O + sum_i sum_j s'_ij * m_ij      m_ij in {0, 1}
 *   D       = 1 + max_i sum_j s'_ij             the largest total weight of one box
 *   O_final = clamp(F / D, 0, 1)
 * </pre>
 *
 * Accumulated in double (box-major, mask-minor) and rounded once to float. Without boxes {@code O_final = O}.
 */
public final class MaskFusion {

    private final float[] rough;
    private final double[] sum;
    private double largestBoxWeight;
    private int boxes;

    public MaskFusion(float[] rough) {
        this.rough = rough;
        this.sum = new double[rough.length];
        for (int k = 0; k < rough.length; k++) {
            sum[k] = rough[k];
        }
    }

    /** Adds one box's masks and their raw scores (the same count of each). */
    public void add(boolean[][] masks, float[] scores) {
        if (masks.length != scores.length) {
            throw new IllegalArgumentException(masks.length + " masks but " + scores.length + " scores");
        }
        double total = 0;
        for (int j = 0; j < masks.length; j++) {
            double s = Math.min(1.0, Math.max(0.0, scores[j]));
            total += s;
            boolean[] m = masks[j];
            if (m.length != sum.length) {
                throw new IllegalArgumentException("mask of " + m.length + " pixels on a map of " + sum.length);
            }
            if (s == 0) {
                continue;
            }
            for (int k = 0; k < m.length; k++) {
                if (m[k]) {
                    sum[k] += s;
                }
            }
        }
        largestBoxWeight = Math.max(largestBoxWeight, total);
        boxes++;
    }

    /** {@code D}; 1 before any box. */
    public double denominator() {
        return 1.0 + largestBoxWeight;
    }

    /** O_final. */
    public float[] result() {
        if (boxes == 0) {
            return rough.clone();
        }
        double d = denominator();
        float[] out = new float[sum.length];
        for (int k = 0; k < out.length; k++) {
            out[k] = (float) Math.min(1.0, Math.max(0.0, sum[k] / d));
        }
        return out;
    }

    /** Fuses all boxes at once: {@code masks[i][j]} is mask j of box i, {@code scores[i][j]} its raw score. */
    public static float[] fuse(float[] rough, boolean[][][] masks, float[][] scores) {
        MaskFusion f = new MaskFusion(rough);
        for (int i = 0; i < masks.length; i++) {
            f.add(masks[i], scores[i]);
        }
        return f.result();
    }
}

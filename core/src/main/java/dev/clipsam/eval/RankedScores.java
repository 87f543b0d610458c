package dev.clipsam.eval;

import java.util.Arrays;

/**
 * The one sort every threshold metric derives from: the scores of negatives, and of positives together with the
 * ground-truth region each positive belongs to, in ascending order. Scores are float32 compared as float32 (as
 * every reference does); they are held as order-preserving int keys.
 *
 * <p>Memory: one int per pixel (the negatives) plus one long per positive pixel, i.e. about one extra copy of the
 * maps when anomalies are a small part of the pixels.
 */
public final class RankedScores {

    /** Sorted keys of negatives in {@code [0, negativeCount)}; the array may be longer. */
    final int[] negatives;
    final int negativeCount;
    /** {@code key << 32 | region} for positives, sorted: by score, then region. */
    final long[] positives;
    /** Area of each region (index = region id); empty for image-level scores. */
    final int[] regionAreas;

    RankedScores(int[] negatives, int negativeCount, long[] positives, int[] regionAreas) {
        this.negatives = negatives;
        this.negativeCount = negativeCount;
        this.positives = positives;
        this.regionAreas = regionAreas;
    }

    /** Image-level (or any unregioned) scores with binary labels. */
    public static RankedScores of(float[] scores, boolean[] positive) {
        int p = 0;
        for (boolean b : positive) {
            p += b ? 1 : 0;
        }
        int[] neg = new int[scores.length - p];
        long[] pos = new long[p];
        int n = 0;
        int k = 0;
        for (int i = 0; i < scores.length; i++) {
            int key = key(scores[i]);
            if (positive[i]) {
                pos[k++] = (long) key << 32;
            } else {
                neg[n++] = key;
            }
        }
        Arrays.sort(neg);
        Arrays.sort(pos);
        return new RankedScores(neg, neg.length, pos, new int[0]);
    }

    /** What a descending sweep sees after each distinct score. */
    @FunctionalInterface
    public interface Step {
        /**
         * @param score   the score just passed (every pixel with a score at least this is now counted)
         * @param tp      positives with score >= {@code score}
         * @param fp      negatives with score >= {@code score}
         * @param covered sum over those positives of 1 / (area of their region), Kahan-compensated
         * @return false to stop the sweep
         */
        boolean accept(float score, long tp, long fp, double covered);
    }

    /**
     * Walks the distinct scores from the highest down, ties between positives and negatives merged into one step.
     */
    public void sweep(Step step) {
        double[] weight = new double[regionAreas.length];
        for (int r = 0; r < weight.length; r++) {
            weight[r] = 1.0 / regionAreas[r];
        }
        int i = positives.length - 1;
        int j = negativeCount - 1;
        long tp = 0;
        long fp = 0;
        double covered = 0;
        double compensation = 0;
        while (i >= 0 || j >= 0) {
            int t = Math.max(i >= 0 ? positiveKey(positives[i]) : Integer.MIN_VALUE, j >= 0 ? negatives[j]
                    : Integer.MIN_VALUE);
            while (i >= 0 && positiveKey(positives[i]) == t) {
                tp++;
                if (weight.length > 0) {
                    double y = weight[positiveRegion(positives[i])] - compensation;
                    double sum = covered + y;
                    compensation = (sum - covered) - y;
                    covered = sum;
                }
                i--;
            }
            while (j >= 0 && negatives[j] == t) {
                fp++;
                j--;
            }
            if (!step.accept(value(t), tp, fp, covered)) {
                return;
            }
        }
    }

    public int positiveCount() {
        return positives.length;
    }

    public int negativeCount() {
        return negativeCount;
    }

    public int regionCount() {
        return regionAreas.length;
    }

    static int positiveKey(long packed) {
        return (int) (packed >> 32);
    }

    static int positiveRegion(long packed) {
        return (int) packed;
    }

    /** An int whose signed order is the float order ({@code -0.0} is taken as {@code 0.0}); NaN is refused. */
    public static int key(float f) {
        if (Float.isNaN(f)) {
            throw new IllegalArgumentException("NaN score");
        }
        int bits = Float.floatToRawIntBits(f == 0f ? 0f : f);
        return bits ^ ((bits >> 31) & 0x7fffffff);
    }

    public static float value(int key) {
        int bits = key ^ ((key >> 31) & 0x7fffffff);
        return Float.intBitsToFloat(bits);
    }
}

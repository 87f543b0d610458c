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

package dev.clipsam.eval;

import java.util.Arrays;

/**
 * The per-region-overlap (PRO) metric in its two published forms. Regions are the 8-connected components of the
 * ground-truth masks of a whole class; each region weighs the same.
 *
 * <ul>
 * <li>{@link #exactAupro}: the MVTec AD definition (anomalib ≥ 2.3): for every distinct score s,
 * {@code FPR(s)} over all normal pixels and {@code PRO(s)} = mean over regions of the covered fraction, ties
 * merged; the curve from (0,0) is integrated up to FPR 0.3 (interpolated there) and divided by 0.3.</li>
 * <li>{@link #aprilGan}: APRIL-GAN / AnomalyCLIP {@code cal_pro_score(max_step=200, expect_fpr=0.3)} with NumPy 1.x
 * semantics: 200 (or 201) score thresholds from {@code np.arange(min, max, (max-min)/200)}, {@code map > t}
 * compared in float32, points with {@code FPR < 0.3} kept, their FPRs min-max rescaled to [0, 1], trapezoid.
 * Always labelled as such in reports: it is not the exact value.</li>
 * </ul>
 */
public final class ProMetrics {

    /** The FPR limit of both variants. */
    public static final double FPR_LIMIT = 0.3;

    private ProMetrics() {
    }

    /** Exact AUPRO@0.3; NaN without regions or without normal pixels. */
    public static double exactAupro(RankedScores ranked) {
        int regions = ranked.regionCount();
        if (regions == 0 || ranked.negativeCount() == 0) {
            return Double.NaN;
        }
        double ok = ranked.negativeCount();
        double[] state = {0, 0, 0}; // previous FPR, previous PRO, area
        ranked.sweep((score, tp, fp, covered) -> {
            double fpr = fp / ok;
            double pro = covered / regions;
            if (fpr <= FPR_LIMIT) {
                state[2] += (fpr - state[0]) * (pro + state[1]) / 2;
                state[0] = fpr;
                state[1] = pro;
                return true;
            }
            double proAtLimit = state[1] + (pro - state[1]) * (FPR_LIMIT - state[0]) / (fpr - state[0]);
            state[2] += (FPR_LIMIT - state[0]) * (state[1] + proAtLimit) / 2;
            return false;
        });
        return state[2] / FPR_LIMIT;
    }

    /** APRIL-GAN's curve, step by step (for reports and tests). */
    public record AprilGanCurve(double[] thresholds, float[] thresholdsAsFloat32, double[] fprs, double[] pros,
            int keptBelowLimit, double aupro) {
    }

    /**
     * APRIL-GAN's PRO; NaN where the reference raises or returns NaN (constant maps, no region, all kept FPRs
     * equal). {@code min} and {@code max} are the float32 extremes of all maps of the class.
     */
    public static AprilGanCurve aprilGan(RankedScores ranked, float min, float max) {
        int regions = ranked.regionAreas.length;
        float range = max - min;
        double delta = (double) range / 200;
        if (!(delta > 0) || regions == 0 || ranked.negativeCount == 0) {
            return new AprilGanCurve(new double[0], new float[0], new double[0], new double[0], 0, Double.NaN);
        }
        int count = (int) Math.ceil((double) range / delta);
        double[] thresholds = new double[count];
        thresholds[0] = min;
        if (count > 1) {
            thresholds[1] = thresholds[0] + delta;
            double step = thresholds[1] - thresholds[0];
            for (int k = 2; k < count; k++) {
                thresholds[k] = thresholds[0] + k * step;
            }
        }
        // Positive pixels grouped by region, each group's keys ascending.
        long[] byRegion = new long[ranked.positives.length];
        for (int k = 0; k < byRegion.length; k++) {
            long p = ranked.positives[k];
            byRegion[k] = ((long) RankedScores.positiveRegion(p) << 32)
                    | (RankedScores.positiveKey(p) & 0xffffffffL) ^ 0x80000000L;
        }
        Arrays.sort(byRegion);
        int[] regionStart = new int[regions + 1];
        for (long v : byRegion) {
            regionStart[(int) (v >>> 32) + 1]++;
        }
        for (int r = 0; r < regions; r++) {
            regionStart[r + 1] += regionStart[r];
        }
        float[] asFloat = new float[count];
        double[] fprs = new double[count];
        double[] pros = new double[count];
        for (int k = 0; k < count; k++) {
            float t = (float) thresholds[k];
            asFloat[k] = t;
            int key = RankedScores.key(t);
            fprs[k] = (double) countAbove(ranked.negatives, ranked.negativeCount, key) / ranked.negativeCount;
            double sum = 0;
            long unsignedKey = (key & 0xffffffffL) ^ 0x80000000L;
            for (int r = 0; r < regions; r++) {
                int from = regionStart[r];
                int to = regionStart[r + 1];
                int above = to - upperBound(byRegion, from, to, ((long) r << 32) | unsignedKey);
                sum += (double) above / ranked.regionAreas[r];
            }
            pros[k] = sum / regions;
        }
        // Keep fpr < 0.3, rescale the kept fprs to [0, 1], trapezoid in threshold order (sklearn.metrics.auc).
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        int kept = 0;
        for (double f : fprs) {
            if (f < FPR_LIMIT) {
                lo = Math.min(lo, f);
                hi = Math.max(hi, f);
                kept++;
            }
        }
        double aupro = Double.NaN;
        if (kept > 0 && hi > lo) {
            double[] x = new double[kept];
            double[] y = new double[kept];
            int n = 0;
            for (int k = 0; k < count; k++) {
                if (fprs[k] < FPR_LIMIT) {
                    x[n] = (fprs[k] - lo) / (hi - lo);
                    y[n] = pros[k];
                    n++;
                }
            }
            double trapz = 0;
            for (int k = 0; k + 1 < kept; k++) {
                trapz += (x[k + 1] - x[k]) * (y[k + 1] + y[k]) / 2;
            }
            aupro = -trapz; // x decreases with the threshold: sklearn's auc takes direction -1
        }
        return new AprilGanCurve(thresholds, asFloat, fprs, pros, kept, aupro);
    }

    /** Number of keys strictly above {@code key} in an ascending array. */
    private static int countAbove(int[] sorted, int length, int key) {
        int lo = 0;
        int hi = length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return length - lo;
    }

    /** First index in {@code [from, to)} whose value is greater than {@code value}. */
    private static int upperBound(long[] sorted, int from, int to, long value) {
        int lo = from;
        int hi = to;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= value) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}

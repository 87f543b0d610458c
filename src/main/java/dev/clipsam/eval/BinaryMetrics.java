package dev.clipsam.eval;

/**
 * AUROC, average precision and F1-max of scores against binary labels, exactly as scikit-learn computes them and
 * APRIL-GAN reports them ({@code roc_auc_score}, {@code average_precision_score}, F1 over
 * {@code precision_recall_curve}), in one descending sweep over the distinct scores.
 *
 * <ul>
 * <li>AUROC: trapezoidal area under the exact ROC curve (a tie between a positive and a negative is a diagonal
 * step), from exact integer counts.</li>
 * <li>AP: {@code Σ (R_k - R_{k-1}) P_k} over distinct thresholds, no interpolation.</li>
 * <li>F1-max: max of {@code (2P)R/(P+R)} over the curve's points, non-finite points dropped; its threshold is the
 * smallest score reaching it (binarise with {@code score >= threshold}).</li>
 * </ul>
 * Each is NaN where the reference raises or has no value (only one class present).
 *
 * @param auroc       area under the ROC curve
 * @param ap          average precision
 * @param f1Max       best F1 over thresholds
 * @param f1Threshold score at which {@code f1Max} is reached
 */
public record BinaryMetrics(double auroc, double ap, double f1Max, double f1Threshold) {

    public static BinaryMetrics of(float[] scores, boolean[] labels) {
        return of(RankedScores.of(scores, labels));
    }

    public static BinaryMetrics of(RankedScores ranked) {
        int[] neg = ranked.negatives;
        long[] pos = ranked.positives;
        long totalPos = pos.length;
        long totalNeg = ranked.negativeCount;
        if (totalPos == 0 || totalNeg == 0) {
            return new BinaryMetrics(Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        int i = pos.length - 1;
        int j = ranked.negativeCount - 1;
        long tp = 0;
        long fp = 0;
        long area2 = 0; // twice the ROC area, in units of 1/(P·N): exact
        double ap = 0;
        double bestF1 = Double.NEGATIVE_INFINITY;
        double bestThreshold = Double.NaN;
        while (i >= 0 || j >= 0) {
            int t = Math.max(i >= 0 ? RankedScores.positiveKey(pos[i]) : Integer.MIN_VALUE,
                    j >= 0 ? neg[j] : Integer.MIN_VALUE);
            long tpPrev = tp;
            long fpPrev = fp;
            while (i >= 0 && RankedScores.positiveKey(pos[i]) == t) {
                tp++;
                i--;
            }
            while (j >= 0 && neg[j] == t) {
                fp++;
                j--;
            }
            area2 += (fp - fpPrev) * (tp + tpPrev);
            double precision = (double) tp / (tp + fp);
            double recall = (double) tp / totalPos;
            ap += ((double) (tp - tpPrev) / totalPos) * precision;
            double f1 = (2 * precision) * recall / (precision + recall);
            if (Double.isFinite(f1) && f1 >= bestF1) {
                bestF1 = f1;
                bestThreshold = RankedScores.value(t);
            }
        }
        double auroc = area2 / (2.0 * totalPos * totalNeg);
        return new BinaryMetrics(auroc, ap, Math.max(bestF1, 0.0), bestThreshold);
    }
}

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
        long totalPos = ranked.positiveCount();
        long totalNeg = ranked.negativeCount();
        if (totalPos == 0 || totalNeg == 0) {
            return new BinaryMetrics(Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        // area2: twice the ROC area in units of 1/(P·N), exact in integers.
        long[] area2 = {0};
        long[] previous = {0, 0};
        double[] ap = {0};
        double[] best = {Double.NEGATIVE_INFINITY, Double.NaN};
        ranked.sweep((score, tp, fp, covered) -> {
            area2[0] += (fp - previous[1]) * (tp + previous[0]);
            double precision = (double) tp / (tp + fp);
            double recall = (double) tp / totalPos;
            ap[0] += ((double) (tp - previous[0]) / totalPos) * precision;
            double f1 = (2 * precision) * recall / (precision + recall);
            if (Double.isFinite(f1) && f1 >= best[0]) {
                best[0] = f1;
                best[1] = score;
            }
            previous[0] = tp;
            previous[1] = fp;
            return true;
        });
        return new BinaryMetrics(area2[0] / (2.0 * totalPos * totalNeg), ap[0], Math.max(best[0], 0.0), best[1]);
    }
}

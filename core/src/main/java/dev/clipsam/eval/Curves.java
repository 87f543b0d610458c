package dev.clipsam.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * ROC, precision-recall and PRO curves of a class for plotting, thinned to at most {@link #MAX_POINTS} points
 * (a class can have millions of distinct scores).
 *
 * @param roc PRC points (false positive rate, true positive rate)
 * @param pr  (recall, precision)
 * @param pro (false positive rate, per-region overlap), up to FPR 0.3
 */
public record Curves(List<double[]> roc, List<double[]> pr, List<double[]> pro) {

    public static final int MAX_POINTS = 2000;

    public static Curves of(RankedScores ranked) {
        long p = ranked.positiveCount();
        long n = ranked.negativeCount();
        int regions = ranked.regionCount();
        List<double[]> roc = new ArrayList<>();
        List<double[]> pr = new ArrayList<>();
        List<double[]> pro = new ArrayList<>();
        if (p == 0 || n == 0) {
            return new Curves(roc, pr, pro);
        }
        roc.add(new double[] {0, 0});
        pro.add(new double[] {0, 0});
        double step = 1.0 / MAX_POINTS;
        double[] last = {-1, -1};
        ranked.sweep((score, tp, fp, covered) -> {
            double fpr = (double) fp / n;
            double tpr = (double) tp / p;
            if (fpr - last[0] >= step || tpr - last[1] >= step || (fp == n && tp == p)) {
                roc.add(new double[] {fpr, tpr});
                pr.add(new double[] {tpr, (double) tp / (tp + fp)});
                if (regions > 0 && fpr <= ProMetrics.FPR_LIMIT) {
                    pro.add(new double[] {fpr, covered / regions});
                }
                last[0] = fpr;
                last[1] = tpr;
            }
            return true;
        });
        return new Curves(roc, pr, pro);
    }
}

package dev.clipsam.eval;

/**
 * Everything reported for one class (paper Tables 1, 4, 5 and the image-level columns).
 *
 * @param className      class
 * @param images         images evaluated
 * @param anomalous      images with a defect
 * @param regions        ground-truth regions (8-connected)
 * @param pixel          pixel AUROC, AP, F1-max (and its threshold)
 * @param auproExact     exact AUPRO@0.3 (MVTec definition): the PRO column
 * @param auproAprilGan  APRIL-GAN's 200-threshold PRO, for comparison with papers that used it
 * @param image          image AUROC, AP, F1-max from the image scores
 * @param curves         curves for plotting
 */
public record ClassMetrics(String className, int images, int anomalous, int regions, BinaryMetrics pixel,
        double auproExact, double auproAprilGan, BinaryMetrics image, Curves curves) {

    /**
     * Computes every metric of a class from its collected maps.
     *
     * @param imageScores per image in the order added, or null for the map maxima
     */
    public static ClassMetrics evaluate(String className, PixelScores scores, float[] imageScores) {
        float min = scores.min();
        float max = scores.max();
        boolean[] labels = scores.imageLabels();
        float[] perImage = imageScores != null ? imageScores : scores.imageMaxima();
        int anomalous = 0;
        for (boolean b : labels) {
            anomalous += b ? 1 : 0;
        }
        RankedScores ranked = scores.rank();
        return new ClassMetrics(className, labels.length, anomalous, ranked.regionCount(), BinaryMetrics.of(ranked),
                ProMetrics.exactAupro(ranked), ProMetrics.aprilGan(ranked, min, max).aupro(),
                BinaryMetrics.of(perImage, labels), Curves.of(ranked));
    }
}

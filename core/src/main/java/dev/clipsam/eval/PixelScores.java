package dev.clipsam.eval;

import java.util.Arrays;

/**
 * Collects the anomaly maps and ground-truth masks of one class, image by image, into {@link RankedScores}: each
 * map's values are copied once (as sortable keys) and the map itself can be dropped. Ground-truth regions are the
 * 8-connected components of each mask; image-level labels and the map maxima are kept too.
 */
public final class PixelScores {

    private int[] negatives;
    private int negativeCount;
    private long[] positives;
    private int positiveCount;
    private int[] regionAreas = new int[16];
    private int regionCount;
    private float min = Float.POSITIVE_INFINITY;
    private float max = Float.NEGATIVE_INFINITY;
    private float[] imageMax = new float[16];
    private boolean[] imageAnomalous = new boolean[16];
    private int images;

    /** @param expectedPixels total pixels of the class if known (avoids regrowing), else 0 */
    public PixelScores(long expectedPixels) {
        negatives = new int[(int) Math.min(Integer.MAX_VALUE - 8, Math.max(1024, expectedPixels))];
        positives = new long[1024];
    }

    /**
     * Adds one image.
     *
     * @param map  anomaly scores, row-major {@code height x width}
     * @param mask ground truth, same layout ({@code true} = anomalous)
     */
    public void add(float[] map, boolean[] mask, int width, int height) {
        if (map.length != width * height || mask.length != map.length) {
            throw new IllegalArgumentException("map and mask must both be " + width + "x" + height);
        }
        ConnectedComponents.Result cc = ConnectedComponents.label(mask, width, height,
                ConnectedComponents.Connectivity.EIGHT);
        int firstRegion = regionCount;
        for (ConnectedComponents.Component c : cc.components()) {
            if (regionCount == regionAreas.length) {
                regionAreas = Arrays.copyOf(regionAreas, regionCount * 2);
            }
            regionAreas[regionCount++] = c.area();
        }
        float imageMaximum = Float.NEGATIVE_INFINITY;
        int[] labels = cc.labels();
        for (int i = 0; i < map.length; i++) {
            float v = map[i];
            int key = RankedScores.key(v);
            min = Math.min(min, v);
            max = Math.max(max, v);
            imageMaximum = Math.max(imageMaximum, v);
            if (mask[i]) {
                if (positiveCount == positives.length) {
                    positives = Arrays.copyOf(positives, positiveCount * 2);
                }
                positives[positiveCount++] = ((long) key << 32) | (firstRegion + labels[i] - 1);
            } else {
                if (negativeCount == negatives.length) {
                    negatives = Arrays.copyOf(negatives, (int) Math.min(Integer.MAX_VALUE - 8, negativeCount * 2L));
                }
                negatives[negativeCount++] = key;
            }
        }
        if (images == imageMax.length) {
            imageMax = Arrays.copyOf(imageMax, images * 2);
            imageAnomalous = Arrays.copyOf(imageAnomalous, images * 2);
        }
        imageMax[images] = imageMaximum;
        imageAnomalous[images] = cc.count() > 0;
        images++;
    }

    public int images() {
        return images;
    }

    public float min() {
        return min;
    }

    public float max() {
        return max;
    }

    /** Per image: the maximum of its map. */
    public float[] imageMaxima() {
        return Arrays.copyOf(imageMax, images);
    }

    /** Per image: whether its mask has any anomalous pixel. */
    public boolean[] imageLabels() {
        return Arrays.copyOf(imageAnomalous, images);
    }

    /**
     * Sorts and hands over the collected scores; this collector is empty afterwards (the arrays are moved, not
     * copied).
     */
    public RankedScores rank() {
        int[] neg = negatives;
        negatives = new int[0];
        long[] pos = Arrays.copyOf(positives, positiveCount);
        positives = new long[0];
        IntSort.sort(neg, 0, negativeCount);
        Arrays.sort(pos);
        RankedScores ranked = new RankedScores(neg, negativeCount, pos, Arrays.copyOf(regionAreas, regionCount));
        negativeCount = 0;
        positiveCount = 0;
        return ranked;
    }
}

package dev.clipsam.mmr;

/**
 * Image-level anomaly scores from a map (docs/DESIGN.md §1): the maximum, which is the score ClipSAM reports, and the mean
 * of the k largest values (k = 100 pixels by default), a steadier alternative reported beside it.
 */
public final class ImageScore {

    public static final int DEFAULT_TOP_K = 100;

    private ImageScore() {
    }

    public static double max(float[] map) {
        float m = Float.NEGATIVE_INFINITY;
        for (float v : map) {
            m = Math.max(m, v);
        }
        return m;
    }

    /** Mean (in double) of the k largest values, or of all values when there are fewer. */
    public static double topMean(float[] map, int k) {
        int n = Math.min(k, map.length);
        if (n <= 0) {
            return Double.NaN;
        }
        // a min-heap of the n largest values seen so far
        java.util.PriorityQueue<Float> heap = new java.util.PriorityQueue<>(n);
        for (float v : map) {
            if (heap.size() < n) {
                heap.add(v);
            } else if (v > heap.peek()) {
                heap.poll();
                heap.add(v);
            }
        }
        double sum = 0;
        for (float v : heap) {
            sum += v;
        }
        return sum / n;
    }
}

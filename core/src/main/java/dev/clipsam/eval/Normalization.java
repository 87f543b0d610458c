package dev.clipsam.eval;

/**
 * Map normalisations of the reference tools, in float32 exactly as they compute them. Metrics are computed on
 * raw maps (as APRIL-GAN and AnomalyCLIP do); these serve display and comparison with anomalib's numbers.
 */
public final class Normalization {

    private Normalization() {
    }

    /** APRIL-GAN {@code normalize(pred)}: {@code (x - min) / (max - min)} in float32; constant maps give NaN. */
    public static float[] minMax(float[] map) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : map) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float range = max - min;
        float[] out = new float[map.length];
        for (int i = 0; i < map.length; i++) {
            out[i] = (map[i] - min) / range;
        }
        return out;
    }

    /**
     * anomalib's one-class normalisation: {@code clamp((x - threshold) / (max - min) + 0.5, 0, 1)} in float32, with
     * the F1-adaptive threshold and the min and max of the maps.
     */
    public static float[] anomalib(float[] maps, float threshold, float min, float max) {
        float range = max - min;
        float[] out = new float[maps.length];
        for (int i = 0; i < maps.length; i++) {
            float v = (maps[i] - threshold) / range + 0.5f;
            out[i] = Math.min(1f, Math.max(0f, v));
        }
        return out;
    }
}

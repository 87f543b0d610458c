package dev.clipsam.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * The maps, masks and image scores of one class, collected image by image, and its metrics at the end: the one
 * accumulation behind {@code eval} (maps as they are predicted) and {@code metrics} (maps read from files).
 */
public final class ClassAccumulator {

    private final String className;
    private final PixelScores pixels;
    private final List<Float> imageScores = new ArrayList<>();
    private boolean everyImageScored = true;

    /** @param expectedPixels a size hint (images x map pixels); 0 when unknown */
    public ClassAccumulator(String className, long expectedPixels) {
        this.className = className;
        this.pixels = new PixelScores(expectedPixels);
    }

    /**
     * Adds one image.
     *
     * @param mask       its ground truth on the map's grid (all false for a normal image)
     * @param imageScore its image score, or null to use the map's maximum
     */
    public void add(float[] map, boolean[] mask, int width, int height, Float imageScore) {
        pixels.add(map, mask, width, height);
        everyImageScored &= imageScore != null;
        imageScores.add(imageScore);
    }

    public int images() {
        return pixels.images();
    }

    /** The class's metrics; image metrics from the given image scores when every image had one, else map maxima. */
    public ClassMetrics metrics() {
        float[] image = null;
        if (everyImageScored) {
            image = new float[imageScores.size()];
            for (int i = 0; i < image.length; i++) {
                image[i] = imageScores.get(i);
            }
        }
        return ClassMetrics.evaluate(className, pixels, image);
    }
}

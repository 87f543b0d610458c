package dev.clipsam.engine;

import dev.clipsam.mmr.RegionPrompts;
import dev.clipsam.pipeline.MapResize;

/**
 * ClipSAM's result for one image (docs/DESIGN.md §1 of docs/DESIGN.md).
 *
 * @param grid         S: the maps are S x S, the image squashed to a square
 * @param rough        O, the head's map (row-major)
 * @param finalMap     O_final after MMR; equal to O without SAM or without regions
 * @param prompts      the regions MMR found (boxes and points in image pixels), or null when SAM is off
 * @param samScores    {@code [q, 3]} SAM's predicted IoUs per box (empty without boxes)
 * @param score        the image's anomaly score: max of the final map
 * @param topMean      mean of the 100 largest final-map values
 * @param threshold    the mask threshold this prediction was made with
 * @param imageWidth   the image's width in pixels
 * @param imageHeight  the image's height in pixels
 * @param timings      seconds per stage
 */
public record Prediction(int grid, float[] rough, float[] finalMap, RegionPrompts prompts, float[] samScores,
        double score, double topMean, double threshold, int imageWidth, int imageHeight, Timings timings) {

    /** The final map and the defect mask at the image's size. */
    public record AtImageSize(float[] finalMap, boolean[] mask, int defectPixels) {

        /** Share of the image in the mask. */
        public double defectFraction() {
            return mask.length == 0 ? 0 : (double) defectPixels / mask.length;
        }
    }

    /** The same prediction judged at another mask threshold (the maps do not depend on it). */
    public Prediction withThreshold(double other) {
        return new Prediction(grid, rough, finalMap, prompts, samScores, score, topMean, other, imageWidth,
                imageHeight, timings);
    }

    /** How many regions of the rough map SAM refined. */
    public int regions() {
        return prompts == null ? 0 : prompts.boxes().size();
    }

    /**
     * The final map resized bilinearly to the image and the mask {@code map > threshold} (computed on each call:
     * one pass over the image's pixels).
     */
    public AtImageSize atImageSize() {
        float[] full = MapResize.toImage(finalMap, grid, imageHeight, imageWidth);
        boolean[] mask = new boolean[full.length];
        int defect = 0;
        for (int k = 0; k < full.length; k++) {
            mask[k] = full[k] > threshold;
            defect += mask[k] ? 1 : 0;
        }
        return new AtImageSize(full, mask, defect);
    }
}

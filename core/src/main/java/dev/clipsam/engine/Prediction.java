package dev.clipsam.engine;

import dev.clipsam.mmr.RegionPrompts;
import dev.clipsam.pipeline.MapResize;
import java.util.ArrayList;
import java.util.List;

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

    /**
     * One region SAM refined: its box and point prompts in image pixels and SAM's predicted IoUs of its three masks.
     *
     * @param box       {@code x0, y0, x1, y1}
     * @param points    {@code [n][2]}: x, y of each point prompt
     * @param samScores SAM's predicted IoU of each of its mask proposals
     */
    public record Region(double[] box, double[][] points, double[] samScores) {
    }

    /** The regions SAM refined, in MMR's order (none without SAM). */
    public List<Region> regionList() {
        if (prompts == null) {
            return List.of();
        }
        List<RegionPrompts.Box> boxes = prompts.boxes();
        List<Region> regions = new ArrayList<>(boxes.size());
        for (int b = 0; b < boxes.size(); b++) {
            RegionPrompts.PointSet set = prompts.pointSets().get(Math.min(b, prompts.pointSets().size() - 1));
            double[][] points = new double[set.xy().length / 2][];
            for (int k = 0; k < points.length; k++) {
                points[k] = new double[] {set.xy()[2 * k], set.xy()[2 * k + 1]};
            }
            int perBox = boxes.isEmpty() ? 0 : samScores.length / boxes.size();
            double[] sam = new double[perBox];
            for (int m = 0; m < perBox; m++) {
                sam[m] = samScores[perBox * b + m];
            }
            regions.add(new Region(boxes.get(b).xyxy().clone(), points, sam));
        }
        return regions;
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

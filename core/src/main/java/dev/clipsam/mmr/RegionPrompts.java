package dev.clipsam.mmr;

import dev.clipsam.eval.ConnectedComponents;
import dev.clipsam.sam.SamPrompt;
import java.util.List;

/**
 * The SAM prompts MMR derives from a rough map (paper Eq. 7, docs/DESIGN.md §5), with everything that led to them.
 *
 * @param grid       S, the side of the map
 * @param height     H of the original image
 * @param width      W of the original image
 * @param binary     {@code O > (float) thr}, row-major S x S
 * @param components 8-connected components of {@code binary}, labels in raster order
 * @param minArea    the smallest kept area, in grid pixels
 * @param pointSets  the point samples, in the order they were drawn
 * @param boxes      one per kept component, in label order
 */
public record RegionPrompts(int grid, int height, int width, boolean[] binary, ConnectedComponents.Result components,
        int minArea, List<PointSet> pointSets, List<Box> boxes) {

    /**
     * One sample of point prompts.
     *
     * @param forBoxes   indices of the boxes it goes with
     * @param candidates how many pixels it was sampled from
     * @param indices    chosen candidates (raster-order positions), in selection order
     * @param gridPixels (i, j) of each chosen pixel
     * @param xy         (x, y) of each point in the original image: the pixel centre
     */
    public record PointSet(int[] forBoxes, int candidates, int[] indices, int[][] gridPixels, double[] xy) {
    }

    /**
     * One region's prompt.
     *
     * @param label   the component's label
     * @param gridBox {@code [i_min, j_min, i_max, j_max]}, inclusive grid pixels
     * @param xyxy    {@code [x0, y0, x1, y1]}: the grid box's pixel edges in the original image
     * @param points  {@code [x0, y0, x1, y1, ...]} of its point prompts (label 1 each)
     */
    public record Box(int label, int[] gridBox, double[] xyxy, double[] points) {

        /** What SAM receives: the box with its foreground points. */
        public SamPrompt prompt() {
            int[] labels = new int[points.length / 2];
            java.util.Arrays.fill(labels, 1);
            return new SamPrompt(points, labels, xyxy, null);
        }
    }

    public boolean isEmpty() {
        return boxes.isEmpty();
    }
}

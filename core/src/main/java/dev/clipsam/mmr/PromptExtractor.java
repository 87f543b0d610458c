package dev.clipsam.mmr;

import dev.clipsam.eval.ConnectedComponents;
import dev.clipsam.eval.ConnectedComponents.Component;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a rough anomaly map into SAM prompts (paper §3.3 Eq. 7; every convention of docs/DESIGN.md §5):
 * binarise at {@code O > (float) thr}; 8-connected regions labelled in raster order; drop regions smaller than the
 * minimum area; one box per kept region at its pixel edges in the original image; point prompts sampled without
 * replacement with {@link SplitMix64} and placed at pixel centres.
 *
 * <p>The map's grid is the original H x W image squashed to S x S, so grid pixel (i, j) covers
 * {@code [j W/S, (j+1) W/S) x [i H/S, (i+1) H/S)} of the original.
 */
public final class PromptExtractor {

    private final MmrConfig config;

    public PromptExtractor(MmrConfig config) {
        this.config = config;
    }

    /**
     * @param rough  O, row-major S x S
     * @param grid   S
     * @param height H of the original image
     * @param width  W of the original image
     */
    public RegionPrompts extract(float[] rough, int grid, int height, int width) {
        if (rough.length != grid * grid) {
            throw new IllegalArgumentException("map of " + rough.length + " values is not " + grid + "x" + grid);
        }
        float thr = config.thresholdFloat();
        boolean[] binary = new boolean[rough.length];
        for (int k = 0; k < rough.length; k++) {
            binary[k] = rough[k] > thr;   // float comparison: (float) 0.3 > 0.3, so O == (float) 0.3 is background
        }
        ConnectedComponents.Result cc = ConnectedComponents.label(binary, grid, grid,
                ConnectedComponents.Connectivity.EIGHT);
        int minArea = config.minArea(grid);
        List<Component> kept = cc.components().stream().filter(c -> c.area() >= minArea).toList();
        if (kept.isEmpty()) {
            return new RegionPrompts(grid, height, width, binary, cc, minArea, List.of(), List.of());
        }
        int[][] pixels = pixelsByLabel(cc, kept);
        SplitMix64 rng = new SplitMix64(config.seed());
        List<RegionPrompts.PointSet> sets = new ArrayList<>();
        List<RegionPrompts.Box> boxes = new ArrayList<>();
        if (config.mode() == PointMode.PER_REGION) {
            for (int b = 0; b < kept.size(); b++) {
                RegionPrompts.PointSet set = sample(rng, pixels[b], new int[] {b}, grid, height, width);
                sets.add(set);
                boxes.add(box(kept.get(b), set.xy(), grid, height, width));
            }
        } else {
            int[] all = allPixels(cc.labels(), kept);
            int[] every = new int[kept.size()];
            for (int b = 0; b < every.length; b++) {
                every[b] = b;
            }
            RegionPrompts.PointSet set = sample(rng, all, every, grid, height, width);
            sets.add(set);
            for (Component c : kept) {
                boxes.add(box(c, set.xy(), grid, height, width));
            }
        }
        return new RegionPrompts(grid, height, width, binary, cc, minArea, List.copyOf(sets), List.copyOf(boxes));
    }

    private RegionPrompts.PointSet sample(SplitMix64 rng, int[] candidates, int[] forBoxes, int grid, int height,
            int width) {
        int[] chosen = rng.sample(candidates.length, config.points());
        int[][] ij = new int[chosen.length][];
        double[] xy = new double[2 * chosen.length];
        for (int k = 0; k < chosen.length; k++) {
            int p = candidates[chosen[k]];
            int i = p / grid;
            int j = p % grid;
            ij[k] = new int[] {i, j};
            xy[2 * k] = (j + 0.5) * width / grid;
            xy[2 * k + 1] = (i + 0.5) * height / grid;
        }
        return new RegionPrompts.PointSet(forBoxes, candidates.length, chosen, ij, xy);
    }

    private static RegionPrompts.Box box(Component c, double[] points, int grid, int height, int width) {
        int[] g = {c.minRow(), c.minCol(), c.maxRow(), c.maxCol()};
        double[] xyxy = {
            (double) (c.minCol() * width) / grid,
            (double) (c.minRow() * height) / grid,
            (double) ((c.maxCol() + 1) * width) / grid,
            (double) ((c.maxRow() + 1) * height) / grid};
        return new RegionPrompts.Box(c.label(), g, xyxy, points);
    }

    /** Raster-order pixel indices of each kept component. */
    private static int[][] pixelsByLabel(ConnectedComponents.Result cc, List<Component> kept) {
        int[] slot = new int[cc.count() + 1];
        java.util.Arrays.fill(slot, -1);
        int[][] out = new int[kept.size()][];
        int[] fill = new int[kept.size()];
        for (int b = 0; b < kept.size(); b++) {
            slot[kept.get(b).label()] = b;
            out[b] = new int[kept.get(b).area()];
        }
        int[] labels = cc.labels();
        for (int p = 0; p < labels.length; p++) {
            int b = slot[labels[p]];
            if (labels[p] != 0 && b >= 0) {
                out[b][fill[b]++] = p;
            }
        }
        return out;
    }

    /** Raster-order pixel indices of all kept components together. */
    private static int[] allPixels(int[] labels, List<Component> kept) {
        java.util.BitSet keep = new java.util.BitSet();
        int n = 0;
        for (Component c : kept) {
            keep.set(c.label());
            n += c.area();
        }
        int[] out = new int[n];
        int k = 0;
        for (int p = 0; p < labels.length; p++) {
            if (labels[p] != 0 && keep.get(labels[p])) {
                out[k++] = p;
            }
        }
        return out;
    }
}

package dev.clipsam.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * Connected-component labelling of a binary mask, as {@code skimage.measure.label(mask, connectivity)}: labels
 * 1..K in raster order of each component's first pixel, 0 for background. Two passes with union-find. Used by the
 * PRO metric (8-connectivity) and by MMR to turn the binarised rough map into regions.
 */
public final class ConnectedComponents {

    /** Which neighbours touch. */
    public enum Connectivity {
        /** Edges only (skimage connectivity=1). */
        FOUR,
        /** Edges and corners (skimage connectivity=2, the default). */
        EIGHT
    }

    /**
     * One component.
     *
     * @param label     1..K
     * @param area      pixels
     * @param minRow    first row
     * @param minCol    first column
     * @param maxRow    last row (inclusive)
     * @param maxCol    last column (inclusive)
     * @param rowSum    sum of row indices (centroid row = rowSum / area)
     * @param colSum    sum of column indices
     * @param firstPixel raster index of the first pixel
     */
    public record Component(int label, int area, int minRow, int minCol, int maxRow, int maxCol, long rowSum,
            long colSum, int firstPixel) {

        public double centroidRow() {
            return (double) rowSum / area;
        }

        public double centroidCol() {
            return (double) colSum / area;
        }
    }

    /** Labels and components of one mask. */
    public record Result(int width, int height, int[] labels, List<Component> components) {

        public int count() {
            return components.size();
        }
    }

    private ConnectedComponents() {
    }

    /** @param mask row-major, {@code true} = foreground */
    public static Result label(boolean[] mask, int width, int height, Connectivity connectivity) {
        if (mask.length != width * height) {
            throw new IllegalArgumentException("mask of " + mask.length + " pixels is not " + width + "x" + height);
        }
        int[] labels = new int[mask.length];
        int[] parent = new int[mask.length / 2 + 2];
        int next = 1;
        boolean eight = connectivity == Connectivity.EIGHT;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = y * width + x;
                if (!mask[i]) {
                    continue;
                }
                int label = 0;
                // Already visited neighbours: left, and the row above (up-left, up, up-right for 8-connectivity).
                label = join(parent, label, x > 0 ? labels[i - 1] : 0);
                if (y > 0) {
                    label = join(parent, label, labels[i - width]);
                    if (eight) {
                        label = join(parent, label, x > 0 ? labels[i - width - 1] : 0);
                        label = join(parent, label, x < width - 1 ? labels[i - width + 1] : 0);
                    }
                }
                if (label == 0) {
                    if (next >= parent.length) {
                        parent = java.util.Arrays.copyOf(parent, parent.length * 2);
                    }
                    parent[next] = next;
                    label = next++;
                }
                labels[i] = label;
            }
        }
        // Second pass: resolve to roots, renumber roots in raster order of first appearance.
        int[] finalLabel = new int[next];
        List<int[]> stats = new ArrayList<>();
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] == 0) {
                continue;
            }
            int root = find(parent, labels[i]);
            if (finalLabel[root] == 0) {
                finalLabel[root] = stats.size() + 1;
                int y = i / width;
                int x = i % width;
                stats.add(new int[] {0, y, x, y, x, i});
            }
            int l = finalLabel[root];
            labels[i] = l;
            int[] s = stats.get(l - 1);
            int y = i / width;
            int x = i % width;
            s[0]++;
            s[2] = Math.min(s[2], x);
            s[4] = Math.max(s[4], x);
            s[3] = Math.max(s[3], y);
        }
        long[] rowSum = new long[stats.size()];
        long[] colSum = new long[stats.size()];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] != 0) {
                rowSum[labels[i] - 1] += i / width;
                colSum[labels[i] - 1] += i % width;
            }
        }
        List<Component> components = new ArrayList<>(stats.size());
        for (int k = 0; k < stats.size(); k++) {
            int[] s = stats.get(k);
            components.add(new Component(k + 1, s[0], s[1], s[2], s[3], s[4], rowSum[k], colSum[k], s[5]));
        }
        return new Result(width, height, labels, List.copyOf(components));
    }

    private static int join(int[] parent, int current, int neighbour) {
        if (neighbour == 0) {
            return current;
        }
        if (current == 0) {
            return neighbour;
        }
        int a = find(parent, current);
        int b = find(parent, neighbour);
        if (a != b) {
            if (a < b) {
                parent[b] = a;
            } else {
                parent[a] = b;
            }
        }
        return Math.min(a, b);
    }

    private static int find(int[] parent, int x) {
        while (parent[x] != x) {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        return x;
    }
}

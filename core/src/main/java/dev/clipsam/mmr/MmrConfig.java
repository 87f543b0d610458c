package dev.clipsam.mmr;

/**
 * Settings of Multi-level Mask Refinement (paper §3.3, docs/DESIGN.md §5).
 *
 * @param threshold binarisation threshold of the rough map; a pixel is foreground iff {@code O > (float) threshold}
 * @param minArea   smallest region kept, in grid pixels; 0 or less means the default {@link #defaultMinArea}
 * @param points    point prompts per box (m)
 * @param mode      how points are sampled
 * @param seed      every image gets a fresh {@link SplitMix64} with this seed
 */
public record MmrConfig(double threshold, int minArea, int points, PointMode mode, long seed)
        implements java.io.Serializable {

    public static final MmrConfig DEFAULT = new MmrConfig(0.5, 0, 5, PointMode.PER_REGION, 0);

    public MmrConfig {
        if (!(threshold >= 0 && threshold <= 1)) {
            throw new IllegalArgumentException("MMR threshold " + threshold + " is not in [0, 1]");
        }
        if (points < 1) {
            throw new IllegalArgumentException("MMR needs at least one point per box, not " + points);
        }
    }

    /** {@code ceil(S*S / 2000)} computed in integers: 0.05 % of the grid (S = 518 gives 135). */
    public static int defaultMinArea(int grid) {
        long s2 = (long) grid * grid;
        return (int) ((s2 + 1999) / 2000);
    }

    /** The minimum area used on an S x S grid. */
    public int minArea(int grid) {
        return minArea > 0 ? minArea : defaultMinArea(grid);
    }

    public float thresholdFloat() {
        return (float) threshold;
    }
}

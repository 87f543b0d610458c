package dev.clipsam.cli;

import dev.clipsam.mmr.MmrConfig;
import dev.clipsam.mmr.PointMode;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/** Options of Multi-level Mask Refinement (paper §3.3). */
final class MmrOptions {

    @Option(names = "--no-sam", description = "Skip SAM: the final map is the head's rough map (the paper's"
            + " 'w/o MMR').")
    boolean noSam;

    @Option(names = "--mmr-threshold", defaultValue = "0.5", paramLabel = "T", description = "Rough-map threshold"
            + " that makes regions for SAM (default: ${DEFAULT-VALUE}).")
    double threshold;

    @Option(names = "--min-area", paramLabel = "PX", description = "Smallest region sent to SAM, in map pixels"
            + " (default: 0.05 %% of the map, 135 at 518 px).")
    int minArea;

    @Option(names = "--points", defaultValue = "5", paramLabel = "N", description = "Point prompts per region"
            + " (default: ${DEFAULT-VALUE}).")
    int points;

    @Option(names = "--points-mode", defaultValue = "per-region", paramLabel = "MODE", converter = ModeConverter.class,
            description = "per-region: each box gets points of its own region; paper: one point set from all regions"
                + " for every box, as the paper describes (default: ${DEFAULT-VALUE}).")
    PointMode mode;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of point sampling; every image starts from it"
            + " (default: ${DEFAULT-VALUE}).")
    long seed;

    /** The settings; a value out of range is one line naming its option. */
    MmrConfig config() {
        if (!(threshold >= 0 && threshold <= 1)) {
            throw new UserInputException("--mmr-threshold " + threshold + " is not a number in [0, 1]");
        }
        if (minArea < 0) {
            throw new UserInputException("--min-area " + minArea + " is negative (0 or no value: the default)");
        }
        if (points < 1) {
            throw new UserInputException("--points " + points + " must be at least 1");
        }
        return new MmrConfig(threshold, minArea, points, mode, seed);
    }

    static final class ModeConverter implements ITypeConverter<PointMode> {
        @Override
        public PointMode convert(String value) {
            return PointMode.parse(value);
        }
    }
}

package dev.clipsam.cli;

import picocli.CommandLine.Command;

/** {@code clipsam bench}: timings of the expensive parts, on this machine. */
@Command(name = "bench", description = "Measure speed and memory of a part of the pipeline (random weights: no"
        + " download needed).", subcommands = {BenchClipCommand.class, BenchSamCommand.class, BenchMetricsCommand.class,
            BenchTrainCommand.class, BenchPredictCommand.class, BenchSoakCommand.class})
final class BenchCommand {
}

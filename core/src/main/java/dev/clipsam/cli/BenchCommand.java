package dev.clipsam.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import picocli.CommandLine.Command;

/** {@code clipsam bench}: timings of the expensive parts, on this machine. */
@Command(name = "bench", description = "Measure speed and memory of a part of the pipeline (random weights: no"
        + " download needed).", subcommands = {BenchClipCommand.class, BenchSamCommand.class, BenchMetricsCommand.class,
            BenchTrainCommand.class, BenchPredictCommand.class, BenchSoakCommand.class, BenchGemmCommand.class,
            BenchServeCommand.class})
final class BenchCommand {

    /** Deletes a benchmark's temporary folder and everything in it. */
    static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}

package dev.clipsam.cli;

import ch.qos.logback.classic.Level;
import dev.clipsam.image.ImageFiles;
import dev.clipsam.engine.Locations;
import dev.clipsam.nn.KernelTuning;
import dev.clipsam.nn.TorchRuntime;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/** Options every command accepts. */
public class CommonOptions {

    @Option(names = "--threads", paramLabel = "N",
            description = "Threads for tensor operations, 1 to 4 per core (default: one per core).")
    Integer threads;

    @Option(names = "--max-pixels", paramLabel = "N", description = "Largest image decoded, in pixels (default:"
            + " 40000000, which the default 2 GB heap holds with room); larger images are refused from their header.")
    Long maxPixels;

    @Option(names = "--retune", description = "Measure the kernel choices again on this machine (they are measured"
            + " once per CPU, thread count and libtorch version and kept in $CLIPSAM_HOME/tuning).")
    boolean retune;

    @Option(names = {"-v", "--verbose"}, description = "Debug logging, and stack traces with errors.")
    boolean verbose;

    /** Applies the options to the process: engine threads and log level. */
    void apply() {
        int cores = Runtime.getRuntime().availableProcessors();
        if (threads != null && (threads < 1 || threads > 4 * cores)) {
            throw new UserInputException("--threads " + threads + " is not between 1 and " + 4 * cores
                    + " (4 per core on this machine)");
        }
        if (maxPixels != null) {
            if (maxPixels < 1) {
                throw new UserInputException("--max-pixels " + maxPixels + " must be at least 1");
            }
            ImageFiles.setMaxPixels(maxPixels);
        }
        if (verbose && LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
                instanceof ch.qos.logback.classic.Logger root) {
            root.setLevel(Level.DEBUG);
            root.iteratorForAppenders().forEachRemaining(a -> a.clearAllFilters());
        }
        TorchRuntime.configureThreads(threads == null ? 0 : threads);
        KernelTuning.persistIn(Locations.tuning());
        if (retune) {
            KernelTuning.retune();
        }
    }
}

package dev.clipsam.cli;

import ch.qos.logback.classic.Level;
import dev.clipsam.nn.TorchRuntime;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/** Options every command accepts. */
public class CommonOptions {

    @Option(names = "--threads", paramLabel = "N",
            description = "Threads for tensor operations (default: one per core).")
    int threads;

    @Option(names = {"-v", "--verbose"}, description = "Debug logging, and stack traces with errors.")
    boolean verbose;

    /** Applies the options to the process: engine threads and log level. */
    void apply() {
        if (verbose) {
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                    .setLevel(Level.DEBUG);
        }
        TorchRuntime.configureThreads(threads);
    }
}

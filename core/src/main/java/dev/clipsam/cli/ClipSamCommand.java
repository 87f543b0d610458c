package dev.clipsam.cli;

import dev.clipsam.engine.Locations;
import dev.clipsam.image.ImageReadException;
import dev.clipsam.io.CheckpointException;
import dev.clipsam.nn.Natives;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine;

/**
 * {@code clipsam}: zero-shot anomaly segmentation with CLIP and Segment Anything.
 *
 * <p>Exit codes: 0 success; 1 finished but found problems (e.g. skipped inputs); 2 unusable input (a missing or
 * wrong checkpoint, an unreadable image, bad options), reported as one line on stderr.
 */
@Command(name = "clipsam", mixinStandardHelpOptions = true, versionProvider = ClipSamCommand.Version.class,
        description = "Zero-shot anomaly segmentation with CLIP and Segment Anything (ClipSAM) on the JVM.",
        subcommands = {InspectCommand.class, SegmentCommand.class, DataCommand.class, SynthCommand.class,
            MetricsCommand.class, TrainCommand.class, PredictCommand.class, EvalCommand.class, FetchCommand.class,
            ServeCommand.class, RefsCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class ClipSamCommand {

    /** Exit code for unusable input. */
    public static final int EXIT_BAD_INPUT = 2;
    /** Exit code when a run finished but some inputs had problems. */
    public static final int EXIT_PROBLEMS = 1;
    /** Exit code of an unexpected internal error (a bug): one line on stderr, the stack trace in the log file. */
    public static final int EXIT_INTERNAL = 3;

    /** The types of failure caused by input, shown as one line without a stack trace. */
    private static final List<Class<? extends RuntimeException>> INPUT_ERRORS = List.of(CheckpointException.class,
            ImageReadException.class, UserInputException.class, dev.clipsam.data.DatasetException.class,
            dev.clipsam.engine.RunException.class);

    public static void main(String[] args) {
        if (System.getProperty("clipsam.log.file") == null) {
            System.setProperty("clipsam.log.file", logFile().toString());
        }
        System.exit(run(args));
    }

    /** Where the log file is: {@code clipsam.log.file}, else {@code $CLIPSAM_HOME/logs/clipsam.log}. */
    static Path logFile() {
        String set = System.getProperty("clipsam.log.file");
        return set != null ? Path.of(set) : Locations.home().resolve("logs").resolve("clipsam.log");
    }

    /** Runs the CLI and returns its exit code (tests call this directly). */
    public static int run(String... args) {
        Natives.load();
        return commandLine().execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new ClipSamCommand());
        addHelpOptions(cli);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            boolean verbose = parseResult.expandedArgs().contains("-v")
                    || parseResult.expandedArgs().contains("--verbose");
            boolean input = INPUT_ERRORS.stream().anyMatch(c -> c.isInstance(e));
            if (input) {
                err.println("clipsam: " + e.getMessage());
            } else {
                LoggerFactory.getLogger("clipsam.internal").error("internal error in clipsam "
                        + String.join(" ", parseResult.originalArgs()), e);
                err.println("clipsam: internal error: " + (e.getMessage() != null ? e.getMessage() : e.toString())
                        + " (stack trace in " + logFile() + ")");
            }
            if (verbose) {
                e.printStackTrace(err);
            }
            err.flush();
            return input ? EXIT_BAD_INPUT : EXIT_INTERNAL;
        });
        cli.setParameterExceptionHandler((e, args) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("clipsam: " + e.getMessage());
            err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            err.flush();
            return EXIT_BAD_INPUT;
        });
        return cli;
    }

    /** {@code -h/--help} (and {@code -V/--version}) on every command and subcommand. */
    private static void addHelpOptions(CommandLine cli) {
        cli.getCommandSpec().mixinStandardHelpOptions(true);
        cli.getSubcommands().values().forEach(ClipSamCommand::addHelpOptions);
    }

    /** The version from the jar manifest. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = ClipSamCommand.class.getPackage().getImplementationVersion();
            return new String[] {"clipsam " + (v == null ? "(development build)" : v)
                    + ", PyTorch 2.10 (libtorch through JavaCPP), Java " + System.getProperty("java.version")};
        }
    }
}

package dev.clipsam.nn;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.global.torch;

/** Process-wide settings of the tensor engine, and memory readings for benchmarks. */
public final class TorchRuntime {

    private TorchRuntime() {
    }

    static {
        Natives.load(); // before any JavaCPP class loads libtorch: only the bundle's natives are mapped
        // NNPACK cannot run on this class of CPU and libtorch warns on every convolution that tries it.
        torch.globalContext().setUserEnabledNNPACK(false);
    }

    /** Applies the process-wide engine settings above (idempotent; every model class calls it). */
    public static void ensureInitialised() {
        // the work is done once, by the static initialiser
    }

    /**
     * Runs {@code step} with libtorch's C++ log at error level: fbgemm's dynamic int8 kernels, which {@link Linear}
     * uses on purpose, print a deprecation notice on their first call in a process. Restores the level
     * {@code TORCH_CPP_LOG_LEVEL} asks for (warnings by default) afterwards.
     */
    public static synchronized <T> T withoutWarnings(Supplier<T> step) {
        logLevel(2);
        try {
            return step.get();
        } finally {
            logLevel(configuredLogLevel());
        }
    }

    private static int configuredLogLevel() {
        String env = System.getenv("TORCH_CPP_LOG_LEVEL");
        if (env == null) {
            return 1;
        }
        return switch (env.trim().toUpperCase(java.util.Locale.ROOT)) {
            case "0", "INFO" -> 0;
            case "2", "ERROR" -> 2;
            case "3", "FATAL" -> 3;
            default -> 1;
        };
    }

    private static void logLevel(int level) {
        try (PointerScope scope = new PointerScope()) {
            PointerPointer<BytePointer> argv = new PointerPointer<>("clipsam", "--caffe2_log_level=" + level, null);
            torch.ParseCommandLineFlags(new int[] {2}, argv);
            torch.UpdateLoggingLevelsFromFlags();
        }
    }

    /** Sets libtorch's intra-op threads; {@code threads <= 0} means one per available core. */
    public static int configureThreads(int threads) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        torch.set_num_threads(n);
        return n;
    }

    public static int threads() {
        return torch.get_num_threads();
    }

    /** Resident set size of this process in bytes ({@code VmRSS}), or -1 where /proc is not available. */
    public static long rssBytes() {
        return procStatus("VmRSS:");
    }

    /** Peak resident set size of this process in bytes ({@code VmHWM}), or -1 where /proc is not available. */
    public static long peakRssBytes() {
        return procStatus("VmHWM:");
    }

    /** Resets the peak RSS counter (Linux: {@code 5 > /proc/self/clear_refs}); false where unsupported. */
    public static boolean resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5", java.nio.file.StandardOpenOption.WRITE);
            return true;
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static long procStatus(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field)) {
                    String[] parts = line.substring(field.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}

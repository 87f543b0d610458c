package dev.clipsam.testing;

import dev.clipsam.cli.ClipSamCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Runs one CLI command in a fresh JVM, then copies this process's memory map to a file (for NativeLoadingTest). */
public final class MapsProbe {

    private MapsProbe() {
    }

    public static void main(String[] args) throws IOException {
        int exit = ClipSamCommand.run(Arrays.copyOfRange(args, 1, args.length));
        Files.copy(Path.of("/proc/self/maps"), Path.of(args[0]));
        System.exit(exit);
    }
}

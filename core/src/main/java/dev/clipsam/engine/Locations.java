package dev.clipsam.engine;

import java.nio.file.Path;

/**
 * Where clipsam keeps things by default: {@code $CLIPSAM_HOME}, else {@code ~/.cache/clipsam} (the system property
 * {@code clipsam.home}, set by the test build, wins over both).
 */
public final class Locations {

    private Locations() {
    }

    public static Path home() {
        String property = System.getProperty("clipsam.home");
        if (property != null && !property.isBlank()) {
            return Path.of(property);
        }
        String env = System.getenv("CLIPSAM_HOME");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "clipsam");
    }

    /** Where an official checkpoint lives by default. */
    public static Path checkpoint(dev.clipsam.io.OfficialCheckpoint c) {
        return home().resolve(c.fileName());
    }

    /** Text features of class names, per CLIP. */
    public static Path textCache() {
        return home().resolve("text");
    }

    /** Kernel choices measured on this machine ({@link dev.clipsam.nn.KernelTuning}). */
    public static Path tuning() {
        return home().resolve("tuning");
    }

    /** The CLIP token cache of training. */
    public static Path tokenCache() {
        return home().resolve("tokens");
    }
}

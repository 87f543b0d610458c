package dev.clipsam.cli;

import java.nio.file.Path;

/** Where clipsam keeps things by default: {@code $CLIPSAM_HOME}, else {@code ~/.cache/clipsam}. */
final class Locations {

    private Locations() {
    }

    static Path home() {
        String env = System.getenv("CLIPSAM_HOME");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "clipsam");
    }

    /** The CLIP token cache of training. */
    static Path tokenCache() {
        return home().resolve("tokens");
    }
}

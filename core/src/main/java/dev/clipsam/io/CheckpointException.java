package dev.clipsam.io;

import java.nio.file.Path;

/**
 * A checkpoint that cannot be used: missing, truncated, not a checkpoint, or holding another model. The
 * message is one line that names the file and the problem, fit to show a user as it is.
 */
public class CheckpointException extends RuntimeException {

    private final Path file;

    public CheckpointException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public CheckpointException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}

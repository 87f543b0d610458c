package dev.clipsam.image;

import java.nio.file.Path;

/** An image file that cannot be used; the message names the file and the problem in one line. */
public class ImageReadException extends RuntimeException {

    private final Path file;

    public ImageReadException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public ImageReadException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}

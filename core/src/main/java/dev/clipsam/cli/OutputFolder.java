package dev.clipsam.cli;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Output folders are checked before any work, and never written into silently when they already hold something. */
final class OutputFolder {

    private OutputFolder() {
    }

    /**
     * @param how what the user can do instead (e.g. "use --overwrite to write into it")
     * @throws UserInputException when the folder exists and is not empty
     */
    static void requireEmpty(Path dir, String how) throws IOException {
        requireWritable(dir);
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> s = Files.list(dir)) {
            if (s.findAny().isPresent()) {
                throw new UserInputException(dir + ": output folder exists and is not empty; " + how);
            }
        }
    }

    /**
     * Proves the folder writable by creating and deleting a file in it (making the folder and its parents for
     * the check, and removing again those it made), so that a run fails at once, with the system's reason, instead
     * of after hours of work.
     */
    static void requireWritable(Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new UserInputException(dir + ": is a file, not a folder");
        }
        Path absolute = dir.toAbsolutePath();
        Path firstMissing = null;
        for (Path p = absolute; p != null && !Files.exists(p); p = p.getParent()) {
            firstMissing = p;
        }
        try {
            Files.createDirectories(absolute);
            Files.delete(Files.createTempFile(absolute, ".clipsam-write-check", ".tmp"));
        } catch (IOException | SecurityException e) {
            throw new UserInputException(dir + ": cannot write here (" + reason(e) + ")");
        } finally {
            for (Path p = absolute; firstMissing != null && p != null && p.startsWith(firstMissing); p = p.getParent()) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    break;
                }
            }
        }
    }

    /** The output file's folder, checked as {@link #requireWritable}. */
    static void requireWritableParent(Path file) {
        if (Files.isDirectory(file)) {
            throw new UserInputException(file + ": is a folder, not a file");
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            requireWritable(parent);
        }
    }

    /** The operating system's reason, without the path it repeats. */
    private static String reason(Exception e) {
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }
}

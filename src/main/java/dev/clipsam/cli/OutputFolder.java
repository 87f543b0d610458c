package dev.clipsam.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Output folders are never written into silently when they already hold something. */
final class OutputFolder {

    private OutputFolder() {
    }

    /**
     * @param how what the user can do instead (e.g. "use --overwrite to write into it")
     * @throws UserInputException when the folder exists and is not empty
     */
    static void requireEmpty(Path dir, String how) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> s = Files.list(dir)) {
            if (s.findAny().isPresent()) {
                throw new UserInputException(dir + ": output folder exists and is not empty; " + how);
            }
        }
    }
}

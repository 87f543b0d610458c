package dev.clipsam.cli;

import dev.clipsam.data.Dataset;
import dev.clipsam.data.DatasetException;
import dev.clipsam.data.DatasetFormat;
import java.nio.file.Path;

/** Dataset access shared by the commands: unusable datasets become one-line input errors. */
final class DatasetCommands {

    private DatasetCommands() {
    }

    static Dataset scan(DatasetFormat format, Path root) {
        try {
            return format.scan(root);
        } catch (DatasetException e) {
            throw new UserInputException(e.getMessage(), e);
        }
    }
}

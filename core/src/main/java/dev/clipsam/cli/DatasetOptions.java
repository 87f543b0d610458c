package dev.clipsam.cli;

import dev.clipsam.data.Dataset;
import dev.clipsam.data.DatasetFormat;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** The dataset a command reads: root, format and optionally some of its classes. */
final class DatasetOptions {

    @Option(names = "--data", required = true, paramLabel = "ROOT", description = "Dataset root.")
    Path root;

    @Option(names = "--format", required = true, paramLabel = "F", description = "mvtec, visa, mtd, ksdd2, folder.")
    DatasetFormat format;

    @Option(names = "--classes", split = ",", paramLabel = "C", description = "Only these classes.")
    List<String> classes;

    /** The dataset, restricted to --classes; an unusable one is a one-line input error. */
    Dataset scan() {
        return DatasetCommands.scan(format, root).only(classes);
    }
}

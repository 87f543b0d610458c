package dev.clipsam.cli;

import dev.clipsam.data.SyntheticDataset;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code clipsam synth}: a synthetic dataset to try things without downloads. */
@Command(name = "synth", description = {
    "Write a synthetic industrial dataset in the generic folder layout: procedural surfaces and objects (fabric,"
        + " brushed metal, wood, tiles, washers, pills, leather, circuit boards) with scratches, holes, stains, cracks"
        + " and missing pieces, each with its exact mask, plus normal images. Deterministic for a seed."})
final class SynthCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--classes", defaultValue = "4", description = "Number of classes, 1-32 (default: ${DEFAULT-VALUE}).")
    int classes;

    @Option(names = "--seed", defaultValue = "0", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--size", defaultValue = "256", description = "Image side in pixels (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--normal", defaultValue = "8", description = "Normal images per class (default: ${DEFAULT-VALUE}).")
    int normal;

    @Option(names = "--anomalous", defaultValue = "12",
            description = "Anomalous images per class (default: ${DEFAULT-VALUE}).")
    int anomalous;

    @Option(names = "--overwrite", description = "Write into an existing non-empty folder.")
    boolean overwrite;

    @Override
    public Integer call() throws IOException {
        common.apply();
        if (Files.isDirectory(out) && !overwrite) {
            try (var entries = Files.list(out)) {
                if (entries.findAny().isPresent()) {
                    throw new UserInputException(out + ": exists and is not empty; use --overwrite");
                }
            }
        }
        SyntheticDataset.Spec s;
        try {
            s = new SyntheticDataset.Spec(classes, normal, anomalous, size, seed);
        } catch (IllegalArgumentException e) {
            throw new UserInputException(e.getMessage());
        }
        List<String> names = SyntheticDataset.write(out, s);
        PrintWriter console = spec.commandLine().getOut();
        console.printf("wrote %d classes (%s), %d normal and %d anomalous %dx%d images each, to %s%n", names.size(),
                String.join(", ", names), normal, anomalous, size, size, out);
        console.printf("check it with: clipsam data check %s --format folder%n", out);
        return 0;
    }
}

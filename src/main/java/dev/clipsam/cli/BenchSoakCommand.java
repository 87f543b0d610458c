package dev.clipsam.cli;

import dev.clipsam.data.SyntheticDataset;
import dev.clipsam.engine.ClipSam;
import dev.clipsam.image.Image8;
import dev.clipsam.image.ImageFiles;
import dev.clipsam.nn.TorchRuntime;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code clipsam bench soak}: many predictions in one process, and the resident memory as they go. */
@Command(name = "soak", description = {
    "Predict synthetic images (normal and with defects, so SAM runs too) over and over in one process and print"
        + " the resident set size (RSS) as it goes: native memory must level off, not grow with every image."})
final class BenchSoakCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Mixin
    ModelOptions models;

    @Mixin
    MmrOptions mmr;

    @Spec
    CommandSpec spec;

    @Option(names = "--images", defaultValue = "1000", description = "Predictions (default: ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--every", defaultValue = "100", description = "RSS printed every N images (default:"
            + " ${DEFAULT-VALUE}).")
    int every;

    @Override
    public Integer call() throws IOException {
        common.apply();
        if (images < 1 || every < 1) {
            throw new UserInputException("--images and --every must be at least 1");
        }
        Path tmp = Files.createTempDirectory("clipsam-soak");
        List<Image8> pictures = new ArrayList<>();
        try {
            SyntheticDataset.write(tmp, new SyntheticDataset.Spec(2, 2, 3, 192, 7));
            try (Stream<Path> files = Files.walk(tmp)) {
                for (Path f : files.filter(ImageFiles::hasImageExtension)
                        .filter(p -> !p.toString().contains("ground_truth")).sorted().toList()) {
                    pictures.add(ImageFiles.read(f));
                }
            }
        } finally {
            try (Stream<Path> files = Files.walk(tmp)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        try (ClipSam engine = models.open(mmr, null, !mmr.noSam)) {
            long start = System.nanoTime();
            out.printf("%d predictions of %d synthetic %dx%d images; CLIP %s, head %s, SAM %s%n", images,
                    pictures.size(), 192, 192, engine.identity().clip(), engine.identity().head(),
                    engine.identity().sam());
            out.printf("%8s %10s %10s %8s%n", "images", "RSS MiB", "peak MiB", "s");
            out.flush();
            int regions = 0;
            for (int i = 1; i <= images; i++) {
                regions += engine.predict(pictures.get(i % pictures.size()), "object").regions();
                if (i % every == 0 || i == images) {
                    out.printf("%8d %10.1f %10.1f %8.1f%n", i, rss() / 1048576.0,
                            TorchRuntime.peakRssBytes() / 1048576.0, (System.nanoTime() - start) / 1e9);
                    out.flush();
                }
            }
            out.printf("%d regions refined by SAM in all%n", regions);
        }
        return 0;
    }

    private static long rss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}

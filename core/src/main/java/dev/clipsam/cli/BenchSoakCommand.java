package dev.clipsam.cli;

import dev.clipsam.data.SyntheticDataset;
import dev.clipsam.engine.ClipSam;
import dev.clipsam.engine.InputImages;
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

    /** Width and height of the synthetic images. */
    private static final int SIDE = 192;

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
            SyntheticDataset.write(tmp, new SyntheticDataset.Spec(2, 2, 3, SIDE, 7));
            for (InputImages.Input input : InputImages.collect(List.of(tmp), null)) {
                pictures.add(ImageFiles.read(input.file()));
            }
        } finally {
            BenchCommand.deleteRecursively(tmp);
        }
        PrintWriter out = spec.commandLine().getOut();
        try (ClipSam engine = models.open(mmr, null, !mmr.noSam)) {
            long start = System.nanoTime();
            out.printf("%d predictions of %d synthetic %dx%d images; CLIP %s, head %s, SAM %s%n", images,
                    pictures.size(), SIDE, SIDE, engine.identity().clip(), engine.identity().head(),
                    engine.identity().sam());
            out.printf("%8s %10s %10s %8s%n", "images", "RSS MiB", "peak MiB", "s");
            out.flush();
            int regions = 0;
            for (int i = 1; i <= images; i++) {
                regions += engine.predict(pictures.get(i % pictures.size()), "object").regions();
                if (i % every == 0 || i == images) {
                    out.printf("%8d %10.1f %10.1f %8.1f%n", i, TorchRuntime.rssBytes() / 1048576.0,
                            TorchRuntime.peakRssBytes() / 1048576.0, (System.nanoTime() - start) / 1e9);
                    out.flush();
                }
            }
            out.printf("%d regions refined by SAM in all%n", regions);
        }
        return 0;
    }
}

package dev.clipsam.cli;

import dev.clipsam.clip.ClipConfig;
import dev.clipsam.clip.ClipModel;
import dev.clipsam.clip.PromptEnsemble;
import dev.clipsam.data.SyntheticDataset;
import dev.clipsam.image.ImageFiles;
import dev.clipsam.io.SafeTensorsWriter;
import dev.clipsam.nn.TorchRuntime;
import dev.clipsam.pipeline.ClipStages;
import dev.clipsam.pipeline.TokenCache;
import dev.clipsam.pipeline.Training;
import dev.clipsam.umci.AdamW;
import dev.clipsam.umci.AnomalyHead;
import dev.clipsam.umci.HeadConfig;
import dev.clipsam.umci.HeadType;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code clipsam bench train}: token caching cost and head-only training throughput. */
@Command(name = "train", description = {
    "Measure the one-time cost of caching an image's CLIP tokens (ViT-L/14@336 with random weights at the given"
        + " size: forward pass and float16 write) and head-only training throughput (images/s, peak RSS) of the"
        + " paper's UMCI head (C 1024, Ct 768, c_h 256, 4 stages) on cached ViT-L-shaped tokens."})
final class BenchTrainCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Option(names = "--image-size", defaultValue = "518", description = "Input size (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--images", defaultValue = "16", description = "Training images (default: ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--batch", defaultValue = "8", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--epochs", defaultValue = "2", description = "Epochs timed (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--cached", defaultValue = "2", description = "Images whose tokens are computed by CLIP to time"
            + " caching (default: ${DEFAULT-VALUE}).")
    int cached;

    @Override
    public Integer call() throws IOException {
        common.apply();
        PrintWriter out = spec.commandLine().getOut();
        Path work = Files.createTempDirectory("clipsam-bench-train");
        try {
            SyntheticDataset.write(work.resolve("data"), new SyntheticDataset.Spec(1, 0, images, 256, 1));
            List<Path> files = new ArrayList<>();
            try (var list = Files.list(work.resolve("data/fabric"))) {
                list.filter(Files::isDirectory).filter(d -> !d.getFileName().toString().equals("ground_truth"))
                        .sorted().forEach(d -> {
                            try (var f = Files.list(d)) {
                                f.sorted().forEach(files::add);
                            } catch (IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        });
            }
            HeadConfig head = HeadConfig.paper(HeadType.UMCI);
            ClipConfig vit = ClipConfig.VIT_L_14_336;
            TokenCache cache = new TokenCache(work.resolve("cache"), "bench");
            double caching;
            Training training;
            try (ClipModel clip = ClipModel.random(vit, ClipModel.Options.DEFAULT, 1)) {
                ClipStages stages = new ClipStages(clip, size, head.stages());
                stages.tokens(ImageFiles.read(files.get(0)));   // warm-up, not timed
                long t0 = System.nanoTime();
                for (int i = 0; i < Math.min(cached, files.size()); i++) {
                    Path image = files.get(i);
                    cache.ensure(image, () -> stages.tokens(ImageFiles.read(image)));
                }
                caching = (System.nanoTime() - t0) / 1e9 / Math.min(cached, files.size());
                int grid = size / vit.visionPatchSize();
                for (Path image : files) {   // the rest: random tokens of the right shape, written as the cache would
                    Path file = cache.fileFor(image);
                    if (!Files.exists(file)) {
                        try (PointerScope scope = new PointerScope()) {
                            Map<String, Tensor> named = new LinkedHashMap<>();
                            for (int s = 0; s < head.stages().size(); s++) {
                                named.put("stage." + s, torch.randn(vit.visionWidth(), grid, grid).to(ScalarType.Half));
                            }
                            Files.createDirectories(file.getParent());
                            SafeTensorsWriter.write(file, named, Map.of());
                        }
                    }
                }
                List<Training.Item> items = new ArrayList<>();
                for (Path image : files) {
                    String stem = image.getFileName().toString().replace(".png", "_mask.png");
                    String defect = image.getParent().getFileName().toString();
                    items.add(new Training.Item(image, "fabric", work.resolve("data/fabric/ground_truth").resolve(defect)
                            .resolve(stem)));
                }
                training = new Training(stages, cache, new Training.Settings(head, size, epochs, batch,
                        AdamW.Options.of(1e-4), 0), items);
                training.prepare(PromptEnsemble.winclip(), new Training.Listener() { });
            }
            // As clipsam train does: CLIP is closed once the tokens are cached.
            org.bytedeco.javacpp.Pointer.trimMemory();
            TorchRuntime.resetPeakRss();
            double[] rate = {0};
            int[] counted = {0};
            long t1 = System.nanoTime();
            try (AnomalyHead model = AnomalyHead.create(head, 0)) {
                training.run(model, null, null, new Training.Listener() {
                    @Override
                    public void step(int epoch, int step, int steps, double loss, double imagesPerSecond) {
                        if (epoch > 1 || step > 1) {   // the first step warms up
                            rate[0] += imagesPerSecond;
                            counted[0]++;
                        }
                    }
                });
                double total = (System.nanoTime() - t1) / 1e9;
                out.printf("CLIP %s at %d px, %d threads%n", vit.name(), size, TorchRuntime.threads());
                out.printf("%-44s %8.2f s/image%n", "token caching (CLIP forward + fp16 write)", caching);
                out.printf("%-44s %8.2f images/s (mean of steps; %d images x %d epochs in %.1f s)%n",
                        "head training, batch " + batch + ", " + String.format("%,d", model.parameterCount())
                                + " parameters", rate[0] / Math.max(1, counted[0]), images, epochs, total);
                out.printf("%-44s %8s%n", "peak RSS while training",
                        InspectCommand.humanBytes(TorchRuntime.peakRssBytes()));
            }
            return 0;
        } finally {
            BenchCommand.deleteRecursively(work);
        }
    }


}

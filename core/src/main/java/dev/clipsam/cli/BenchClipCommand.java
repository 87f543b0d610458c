package dev.clipsam.cli;

import dev.clipsam.clip.ClipConfig;
import dev.clipsam.clip.ClipModel;
import dev.clipsam.nn.Activation;
import dev.clipsam.nn.Precision;
import dev.clipsam.nn.Tensors;
import dev.clipsam.nn.TorchRuntime;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code clipsam bench clip}: the CLIP image tower's forward pass. */
@Command(name = "clip", description = {
    "Time the CLIP image tower's forward pass (all blocks) on one image: seconds per image, GFLOP/s, peak RSS,"
        + " and how far bf16 lands from fp32.",
    "Uses a ViT-L/14@336 of random weights run at 518 px unless --clip gives a checkpoint."})
final class BenchClipCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Option(names = "--clip", paramLabel = "CKPT", description = "Benchmark this checkpoint instead of random weights.")
    Path checkpoint;

    @Option(names = "--size", paramLabel = "PX", defaultValue = "518",
            description = "Input size in pixels, a multiple of the patch size (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--precision", split = ",", defaultValue = "fp32,bf16", paramLabel = "P",
            description = "Precisions to measure, comma-separated: fp32, bf16, int8 (default: ${DEFAULT-VALUE}).")
    List<Precision> precisions;

    @Option(names = "--runs", defaultValue = "3", description = "Timed runs per precision (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "1", description = "Untimed runs first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Override
    public Integer call() {
        common.apply();
        PrintWriter out = spec.commandLine().getOut();
        if (runs < 1 || warmup < 0) {
            throw new UserInputException("--runs must be at least 1 and --warmup at least 0");
        }
        ClipConfig config = ClipConfig.VIT_L_14_336;
        out.printf("CLIP image tower, %s, %d x %d px, batch 1, %d threads, OpenBLAS kernels %s%n",
                checkpoint == null ? config.name() + " with random weights" : checkpoint, size, size,
                TorchRuntime.threads(), System.getenv().getOrDefault("OPENBLAS_CORETYPE", "auto-detected"));
        out.printf("%-9s %8s %10s %10s %9s %11s%n", "precision", "load s", "mean s/img", "min s/img", "GFLOP/s",
                "peak RSS");
        float[] reference = null;
        for (Precision precision : precisions) {
            String name = precision.name().toLowerCase(java.util.Locale.ROOT);
            TorchRuntime.resetPeakRss();
            long t0 = System.nanoTime();
            ClipModel.Options options = new ClipModel.Options(precision, Activation.QUICK_GELU);
            try (ClipModel model = checkpoint == null ? ClipModel.random(config, options, 1)
                    : ClipModel.load(checkpoint, options)) {
                double load = seconds(t0);
                ClipConfig c = model.config();
                if (size % c.visionPatchSize() != 0) {
                    throw new UserInputException("--size " + size + " is not a multiple of the patch size "
                            + c.visionPatchSize());
                }
                int last = c.visionLayers();
                float[][] tokens = new float[1][];
                Timing t = Timing.measure(warmup, runs, run -> {
                    Tensor image = torch.randn(new long[] {1, 3, size, size},
                            new GeneratorOptional(torch.make_generator_cpu(7)), Tensors.options(ScalarType.Float));
                    Tensor result = model.visual().forward(image, last).block(last);
                    if (run == warmup + runs - 1) {
                        tokens[0] = Tensors.toFloats(result);
                    }
                });
                out.printf("%-9s %8.2f %10.3f %10.3f %9.0f %11s%n", name, load, t.mean(), t.min(),
                        c.visionFlops(size) / t.min() / 1e9, InspectCommand.humanBytes(TorchRuntime.peakRssBytes()));
                out.flush();
                if (precision == Precision.FP32) {
                    reference = tokens[0];
                } else if (reference != null) {
                    out.println(Timing.deviation(reference, tokens[0], name, "block " + last + " tokens"));
                }
            }
        }
        return 0;
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}

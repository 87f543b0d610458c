package dev.clipsam.cli;

import dev.clipsam.clip.ClipConfig;
import dev.clipsam.clip.ClipModel;
import dev.clipsam.clip.VisionFeatures;
import dev.clipsam.nn.Activation;
import dev.clipsam.nn.Precision;
import dev.clipsam.nn.Tensors;
import dev.clipsam.nn.TorchRuntime;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
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
            description = "Precisions to measure, comma-separated: fp32, bf16 (default: ${DEFAULT-VALUE}).")
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
                double best = Double.MAX_VALUE;
                double total = 0;
                float[] tokens = null;
                for (int r = 0; r < warmup + runs; r++) {
                    try (PointerScope scope = new PointerScope()) {
                        Tensor image = torch.randn(new long[] {1, 3, size, size},
                                new GeneratorOptional(torch.make_generator_cpu(7)),
                                Tensors.options(org.bytedeco.pytorch.global.torch.ScalarType.Float));
                        long start = System.nanoTime();
                        VisionFeatures features = model.visual().forward(image, last);
                        Tensor result = features.block(last);
                        result.data_ptr(); // forces completion
                        double s = seconds(start);
                        if (r >= warmup) {
                            best = Math.min(best, s);
                            total += s;
                        }
                        if (r == warmup + runs - 1) {
                            tokens = Tensors.toFloats(result);
                        }
                    }
                }
                double mean = total / runs;
                out.printf("%-9s %8.2f %10.3f %10.3f %9.0f %11s%n", name, load, mean, best,
                        c.visionFlops(size) / best / 1e9, InspectCommand.humanBytes(TorchRuntime.peakRssBytes()));
                out.flush();
                if (precision == Precision.FP32) {
                    reference = tokens;
                } else if (reference != null) {
                    out.println(deviation(reference, tokens, last));
                }
            }
        }
        return 0;
    }

    /** How far a lower-precision result is from fp32, relative to the fp32 scale. */
    static String deviation(float[] fp32, float[] other, int block) {
        double maxAbs = 0;
        double maxDiff = 0;
        double diff2 = 0;
        double ref2 = 0;
        for (int i = 0; i < fp32.length; i++) {
            double d = (double) other[i] - fp32[i];
            maxAbs = Math.max(maxAbs, Math.abs(fp32[i]));
            maxDiff = Math.max(maxDiff, Math.abs(d));
            diff2 += d * d;
            ref2 += (double) fp32[i] * fp32[i];
        }
        return String.format("bf16 vs fp32, block %d tokens: relative L2 error %.2e, max |diff| %.3g (max |fp32| %.3g)",
                block, Math.sqrt(diff2 / ref2), maxDiff, maxAbs);
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}

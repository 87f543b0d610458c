package dev.clipsam.cli;

import dev.clipsam.nn.Precision;
import dev.clipsam.nn.Tensors;
import dev.clipsam.nn.TorchRuntime;
import dev.clipsam.sam.SamConfig;
import dev.clipsam.sam.SamModel;
import dev.clipsam.sam.SamPredictor;
import dev.clipsam.sam.SamPrompt;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
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

/** {@code clipsam bench sam}: SAM's image encoder and mask decoder. */
@Command(name = "sam", description = {
    "Time SAM's image encoder on one 1024 x 1024 input (seconds per image, GFLOP/s, peak RSS) and its mask"
        + " decoder (milliseconds per prompt: one box with 5 points, 3 masks; alone and 8 per batched call).",
    "Uses random weights of the official variants unless --sam gives a checkpoint."})
final class BenchSamCommand implements Callable<Integer> {

    /** The official variants by name. */
    enum Variant {
        VIT_B(SamConfig.VIT_B), VIT_L(SamConfig.VIT_L), VIT_H(SamConfig.VIT_H);

        final SamConfig config;

        Variant(SamConfig config) {
            this.config = config;
        }
    }

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Option(names = "--model", split = ",", defaultValue = "vit_b,vit_h", paramLabel = "M",
            description = "Variants with random weights: vit_b, vit_l, vit_h (default: ${DEFAULT-VALUE}).")
    List<Variant> variants;

    @Option(names = "--sam", paramLabel = "CKPT", description = "Benchmark this checkpoint instead.")
    Path checkpoint;

    @Option(names = "--precision", split = ",", defaultValue = "fp32,bf16", paramLabel = "P",
            description = "Image-encoder precisions: fp32, bf16, int8 (default: ${DEFAULT-VALUE}).")
    List<Precision> precisions;

    @Option(names = "--runs", defaultValue = "2", description = "Timed encoder runs (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "1", description = "Untimed encoder runs first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--prompts", defaultValue = "20", description = "Timed decoder prompts (default: ${DEFAULT-VALUE}).")
    int prompts;

    @Override
    public Integer call() {
        common.apply();
        if (runs < 1 || warmup < 0 || prompts < 1) {
            throw new UserInputException("--runs and --prompts must be at least 1, --warmup at least 0");
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf("SAM, 1024 x 1024 input, %d threads, OpenBLAS kernels %s; FLOPs count 2 per multiply-add%n",
                TorchRuntime.threads(), System.getenv().getOrDefault("OPENBLAS_CORETYPE", "auto-detected"));
        out.printf("%-6s %-9s %7s %11s %10s %9s %12s %12s %10s%n", "model", "precision", "load s", "encoder s",
                "min s", "GFLOP/s", "decoder ms", "batched ms", "peak RSS");
        List<SamConfig> configs = new ArrayList<>();
        if (checkpoint != null) {
            configs.add(null);
        } else {
            variants.forEach(v -> configs.add(v.config));
        }
        for (SamConfig config : configs) {
            float[] reference = null;
            for (Precision precision : precisions) {
                TorchRuntime.resetPeakRss();
                long t0 = System.nanoTime();
                try (SamModel model = config == null ? SamModel.load(checkpoint, precision)
                        : SamModel.random(config, precision, 1); SamPredictor predictor = new SamPredictor(model)) {
                    double load = (System.nanoTime() - t0) / 1e9;
                    float[][] embedding = new float[1][];
                    Timing encoder = Timing.measure(warmup, runs, run -> {
                        Tensor input = torch.randn(new long[] {1, 3, 1024, 1024},
                                new GeneratorOptional(torch.make_generator_cpu(11)), Tensors.options(ScalarType.Float));
                        Tensor e = model.imageEncoder().forward(input);
                        if (run == warmup + runs - 1) {
                            embedding[0] = Tensors.toFloats(e);
                        }
                    });
                    predictor.setEmbedding(Tensors.fromFloats(embedding[0], 1, 256, 64, 64), 768, 1024);
                    List<SamPrompt> batch = randomPrompts(8, 768, 1024);
                    Timing single = Timing.measure(2, prompts, run -> predictor.predict(batch.get(run % 8), true)
                            .logits().data_ptr());
                    Timing batched = Timing.measure(1, Math.max(1, prompts / 8), run -> predictor.predictBatch(batch,
                            true).logits().data_ptr());
                    String name = precision.name().toLowerCase(Locale.ROOT);
                    out.printf("%-6s %-9s %7.1f %11.2f %10.2f %9.0f %12.1f %12.1f %10s%n", model.config().name(), name,
                            load, encoder.mean(), encoder.min(), model.config().encoderFlops() / encoder.min() / 1e9,
                            single.mean() * 1000, batched.mean() * 1000 / batch.size(),
                            InspectCommand.humanBytes(TorchRuntime.peakRssBytes()));
                    out.flush();
                    if (precision == Precision.FP32) {
                        reference = embedding[0];
                    } else if (reference != null) {
                        out.println(Timing.deviation(reference, embedding[0],
                                precision.name().toLowerCase(java.util.Locale.ROOT), model.config().name()
                                + " image embedding"));
                    }
                }
            }
        }
        return 0;
    }

    /** ClipSAM-style prompts: a box and 5 positive points inside it. */
    static List<SamPrompt> randomPrompts(int n, int height, int width) {
        Random random = new Random(5);
        List<SamPrompt> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double x0 = random.nextInt(width / 2);
            double y0 = random.nextInt(height / 2);
            double x1 = x0 + 20 + random.nextInt(width / 2 - 20);
            double y1 = y0 + 20 + random.nextInt(height / 2 - 20);
            double[] points = new double[10];
            for (int p = 0; p < 5; p++) {
                points[2 * p] = x0 + random.nextDouble() * (x1 - x0);
                points[2 * p + 1] = y0 + random.nextDouble() * (y1 - y0);
            }
            out.add(new SamPrompt(points, new int[] {1, 1, 1, 1, 1}, new double[] {x0, y0, x1, y1}, null));
        }
        return out;
    }

}

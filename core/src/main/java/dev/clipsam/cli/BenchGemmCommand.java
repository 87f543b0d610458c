package dev.clipsam.cli;

import dev.clipsam.io.RandomWeights;
import dev.clipsam.io.Weights;
import dev.clipsam.nn.KernelTuning;
import dev.clipsam.nn.Linear;
import dev.clipsam.nn.Precision;
import dev.clipsam.nn.Tensors;
import dev.clipsam.nn.TorchRuntime;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code clipsam bench gemm}: the machine's matrix-product rate for the towers' shapes, the ceiling of each stage. */
@Command(name = "gemm", description = {
    "Measure libtorch's linear layer (x W^T + b) on the shapes that dominate the towers: CLIP ViT-L/14 at 518 px"
        + " (1370 tokens, width 1024, MLP 4096) and SAM ViT-H at 1024 px (4096 tokens, width 1280, MLP 5120), in each"
        + " precision. A stage's GFLOP/s in bench clip / sam / predict can be read against these rates."})
final class BenchGemmCommand implements Callable<Integer> {

    /** One product: tokens x in -> out. */
    record Shape(String name, long tokens, long in, long out) {
        double gflop() {
            return 2.0 * tokens * in * out / 1e9;
        }
    }

    static final List<Shape> SHAPES = List.of(new Shape("clip-L qkv", 1370, 1024, 3072),
            new Shape("clip-L mlp up", 1370, 1024, 4096), new Shape("clip-L mlp down", 1370, 4096, 1024),
            new Shape("sam-H qkv", 4096, 1280, 3840), new Shape("sam-H mlp up", 4096, 1280, 5120),
            new Shape("sam-H mlp down", 4096, 5120, 1280));

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Option(names = "--precision", split = ",", defaultValue = "fp32,bf16,int8", description = "Precisions to"
            + " measure: fp32, bf16, int8 (default: ${DEFAULT-VALUE}).")
    List<Precision> precisions;

    @Option(names = "--runs", defaultValue = "5", description = "Timed runs per shape, best kept (default:"
            + " ${DEFAULT-VALUE}).")
    int runs;

    @Override
    public Integer call() {
        common.apply();
        if (runs < 1) {
            throw new UserInputException("--runs must be at least 1");
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "linear layers, %d threads, %s; best of %d runs%n", TorchRuntime.threads(),
                KernelTuning.machine(), runs);
        out.printf("%-16s %-22s %-9s %10s %9s%n", "shape", "tokens x in -> out", "precision", "ms", "GFLOP/s");
        try (NoGradGuard guard = new NoGradGuard()) {
            for (Precision p : precisions) {
                double total = 0;
                double seconds = 0;
                for (Shape s : SHAPES) {
                    try (PointerScope scope = new PointerScope()) {
                        // the layer as the towers build it (int8: quantized and packed once, here)
                        Weights weights = new Weights(new RandomWeights(Map.of("w", new long[] {s.out(), s.in()},
                                "b", new long[] {s.out()}), 1));
                        Linear layer = Linear.load(weights, "w", "b", p);
                        Tensor x = torch.randn(new long[] {s.tokens(), s.in()}, Tensors.options(ScalarType.Float))
                                .to(p.compute());
                        double best = Double.MAX_VALUE;
                        for (int r = 0; r < runs + 1; r++) {
                            try (PointerScope inner = new PointerScope()) {
                                long t0 = System.nanoTime();
                                layer.forward(x);
                                double t = (System.nanoTime() - t0) / 1e9;
                                best = r == 0 ? best : Math.min(best, t);   // the first run warms up
                            }
                        }
                        total += s.gflop();
                        seconds += best;
                        out.printf(Locale.ROOT, "%-16s %-22s %-9s %10.1f %9.0f%n", s.name(), s.tokens() + " x "
                                + s.in() + " -> " + s.out(), p.name().toLowerCase(Locale.ROOT), best * 1000,
                                s.gflop() / best);
                        out.flush();
                        Weights.release(weights.loaded());
                    }
                }
                out.printf(Locale.ROOT, "%-16s %-22s %-9s %10.1f %9.0f%n", "all", "", p.name().toLowerCase(Locale.ROOT),
                        seconds * 1000, total / seconds);
            }
        }
        return 0;
    }
}

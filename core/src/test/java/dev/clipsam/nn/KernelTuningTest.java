package dev.clipsam.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelTuningTest {

    @TempDir
    Path dir;

    private static Tensor slowly(Tensor x, long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return x.mul(new Scalar(1.0));
    }

    @org.junit.jupiter.api.AfterEach
    void keepChoicesInTheTestHomeAgain() {
        KernelTuning.persistIn(Path.of(System.getProperty("clipsam.home", System.getProperty("java.io.tmpdir")),
                "tuning"));
    }

    @Test
    void theFastestRouteWithinTheToleranceIsChosenKeptAndReadBack() throws Exception {
        TorchRuntime.ensureInitialised();
        KernelTuning.persistIn(dir);
        Tensor x = torch.randn(new long[] {64, 64}, Tensors.options(ScalarType.Float));
        AtomicInteger calls = new AtomicInteger();
        LinkedHashMap<String, Supplier<Tensor>> routes = new LinkedHashMap<>();
        routes.put("reference", () -> { calls.incrementAndGet(); return slowly(x, 30); });
        routes.put("wrong_but_fast", () -> x.add(new Scalar(1.0)));            // not the same result: never chosen
        routes.put("right_and_fast", () -> slowly(x, 1));
        String shape = "test " + System.nanoTime();
        assertEquals("right_and_fast", KernelTuning.choose("test-op", shape, routes, 1e-6));
        KernelTuning.Choice c = KernelTuning.choices().get("test-op " + shape + " threads=" + TorchRuntime.threads());
        assertTrue(c.note().contains("wrong_but_fast off by"), c.note());
        assertFalse(c.seconds().containsKey("wrong_but_fast"));
        assertEquals(3, calls.get(), "measured once: one untimed run, two timed");

        // asked again: no measurement; and the file holds the choice for another process
        assertEquals("right_and_fast", KernelTuning.choose("test-op", shape, routes, 1e-6));
        assertEquals(3, calls.get());
        try (var files = Files.list(dir)) {
            Path file = files.filter(f -> f.getFileName().toString().startsWith("tuning-")).findFirst().orElseThrow();
            String text = Files.readString(file);
            assertTrue(text.contains(shape) && text.contains("right_and_fast") && text.contains(KernelTuning.machine()),
                    text);
        }
    }

    @Test
    void attentionRoutesAgreeInEachPrecision() {
        TorchRuntime.ensureInitialised();
        for (ScalarType dtype : new ScalarType[] {ScalarType.Float, ScalarType.BFloat16}) {
            Tensor q = torch.randn(new long[] {1, 3, 50, 16}, Tensors.options(ScalarType.Float));
            Tensor k = torch.randn(new long[] {1, 3, 50, 16}, Tensors.options(ScalarType.Float));
            Tensor v = torch.randn(new long[] {1, 3, 50, 16}, Tensors.options(ScalarType.Float));
            Tensor reference = torch.softmax(q.matmul(k.transpose(-2, -1)).mul(new Scalar(0.25)), -1).matmul(v);
            Tensor out = Attention.scaledDotProduct(q.to(dtype), k.to(dtype), v.to(dtype), false, Double.NaN)
                    .to(ScalarType.Float);
            double drift = out.sub(reference).norm().item_double() / reference.norm().item_double();
            assertTrue(drift < KernelTuning.tolerance(dtype), dtype + ": " + drift);
        }
    }
}

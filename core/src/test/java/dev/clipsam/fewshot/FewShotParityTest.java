package dev.clipsam.fewshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.clipsam.io.Npy;
import dev.clipsam.testing.Close;
import dev.clipsam.testing.Fixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.ThrowingConsumer;

/** Every case folder under {@code $CLIPSAM_FIXTURES/fewshot}: sizes from its parameters and arrays. */
class FewShotParityTest {

    private static final Map<String, ThrowingConsumer<Path>> CHECKS = Map.of("fewshot.map", FewShotParityTest::map);

    @TestFactory
    Stream<DynamicTest> everyFewShotCase() {
        return Fixtures.suiteTests("fewshot", "kind", CHECKS);
    }

    private static double atol(JsonNode entry) {
        assertEquals(0.0, entry.path("tolerance").path("rtol").asDouble(0.0));
        return entry.path("tolerance").path("atol").asDouble();
    }

    private static Npy array(Path dir, JsonNode entry) {
        return Fixtures.npy(dir.resolve(entry.path("file").asText()));
    }

    static void map(Path dir) {
        JsonNode json = Fixtures.json(dir.resolve("case.json"));
        JsonNode in = json.path("inputs");
        JsonNode out = json.path("outputs");
        Npy refs = array(dir, in.path("ref_tokens"));
        Npy query = array(dir, in.path("query_tokens"));
        long[] shape = refs.shape();   // [stages, k, G*G, C]
        int stages = (int) shape[0];
        int k = (int) shape[1];
        int cells = (int) shape[2];
        int width = (int) shape[3];
        int grid = (int) Math.round(Math.sqrt(cells));
        assertEquals(cells, grid * grid, "a square grid");
        JsonNode p = json.path("parameters");
        assertEquals(p.path("k").asInt(k), k);
        int size = p.path("size").asInt();
        float[] all = refs.floats();
        float[] q = query.floats();
        try (PointerScope scope = new PointerScope()) {
            List<List<Tensor>> references = new ArrayList<>();
            for (int r = 0; r < k; r++) {
                List<Tensor> perStage = new ArrayList<>();
                for (int s = 0; s < stages; s++) {
                    int from = ((s * k) + r) * cells * width;
                    perStage.add(dev.clipsam.nn.Tensors.fromFloats(Arrays.copyOfRange(all, from, from + cells * width),
                            cells, width));
                }
                references.add(perStage);
            }
            List<Tensor> queryTokens = new ArrayList<>();
            for (int s = 0; s < stages; s++) {
                queryTokens.add(dev.clipsam.nn.Tensors.fromFloats(Arrays.copyOfRange(q, s * cells * width,
                        (s + 1) * cells * width), cells, width));
            }
            try (ReferenceMemory mean = new ReferenceMemory(references, grid, size, ReferenceMemory.Combine.MEAN);
                    ReferenceMemory sum = new ReferenceMemory(references, grid, size, ReferenceMemory.Combine.SUM)) {
                float[][] stageMaps = mean.stageMaps(queryTokens);
                Close.assertClose(array(dir, out.path("stage_maps")).floats(), flatten(stageMaps),
                        atol(out.path("stage_maps")), "stage maps");
                float[][] up = new float[stages][];
                for (int s = 0; s < stages; s++) {
                    up[s] = mean.upsample(stageMaps[s]);
                }
                Close.assertClose(array(dir, out.path("stage_maps_up")).floats(), flatten(up),
                        atol(out.path("stage_maps_up")), "stage maps resized");
                float[] f = mean.map(queryTokens);
                Close.assertClose(array(dir, out.path("fewshot_map")).floats(), f, atol(out.path("fewshot_map")),
                        "few-shot map (mean)");
                Close.assertClose(array(dir, out.path("aprilgan_sum")).floats(), sum.map(queryTokens),
                        atol(out.path("aprilgan_sum")), "APRIL-GAN's sum");
                if (out.has("tau")) {
                    assertTrue(k >= 2, "calibration needs two references");
                    Close.assertClose(array(dir, out.path("loo_max_per_ref")).floats(), mean.leaveOneOutMaxima(),
                            atol(out.path("loo_max_per_ref")), "leave-one-out maxima");
                    assertEquals(array(dir, out.path("tau")).floats()[0], mean.tau(), atol(out.path("tau")), "tau");
                    Close.assertClose(array(dir, out.path("normalized_map")).floats(), mean.normalised(queryTokens),
                            atol(out.path("normalized_map")), "normalised map");
                } else {
                    assertEquals(1, k, "only one reference has no calibration");
                    assertTrue(Double.isNaN(mean.tau()));
                }
            }
        }
    }

    private static float[] flatten(float[][] rows) {
        int n = Arrays.stream(rows).mapToInt(r -> r.length).sum();
        float[] out = new float[n];
        int at = 0;
        for (float[] r : rows) {
            System.arraycopy(r, 0, out, at, r.length);
            at += r.length;
        }
        return out;
    }
}

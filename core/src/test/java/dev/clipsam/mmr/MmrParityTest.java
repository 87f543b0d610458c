package dev.clipsam.mmr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.clipsam.eval.ConnectedComponents;
import dev.clipsam.image.Image8;
import dev.clipsam.image.ImageFiles;
import dev.clipsam.io.Npy;
import dev.clipsam.sam.SamModel;
import dev.clipsam.sam.SamPredictor;
import dev.clipsam.sam.SamPrompt;
import dev.clipsam.testing.Close;
import dev.clipsam.testing.Fixtures;
import dev.clipsam.testing.Images;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.ThrowingConsumer;

/** Every case folder under {@code $CLIPSAM_FIXTURES/mmr}, one test each, checked against its {@code case.json}. */
class MmrParityTest {

    private static final Map<String, ThrowingConsumer<Path>> CHECKS = Map.of(
            "mmr.splitmix", MmrParityTest::splitmix,
            "mmr.prompts", dir -> prompts(dir, Fixtures.json(dir.resolve("case.json"))),
            "mmr.refine", MmrParityTest::refine,
            "mmr.fusion", MmrParityTest::fusion);

    private static final Map<Path, SamModel> MODELS = new HashMap<>();

    @TestFactory
    Stream<DynamicTest> everyMmrCase() {
        return Fixtures.suiteTests("mmr", "kind", CHECKS);
    }

    @AfterAll
    static void closeModels() {
        MODELS.values().forEach(SamModel::close);
        MODELS.clear();
    }

    // ---- SplitMix64 ----

    static void splitmix(Path dir) {
        JsonNode json = Fixtures.json(dir.resolve("case.json"));
        for (JsonNode seq : json.path("sequences").path("value")) {
            long seed = seq.path("seed_i64").asLong();
            SplitMix64 rng = new SplitMix64(seed);
            JsonNode longs = seq.path("outputs_i64");
            for (int k = 0; k < longs.size(); k++) {
                assertEquals(longs.get(k).asLong(), rng.next(), "seed " + seed + " next() #" + k);
                assertEquals(Long.parseUnsignedLong(seq.path("outputs_u64_hex").get(k).asText().substring(2), 16),
                        longs.get(k).asLong(), "hex and i64 agree");
            }
            SplitMix64 fresh = new SplitMix64(seed);
            JsonNode us = seq.path("outputs_u");
            for (int k = 0; k < us.size(); k++) {
                assertEquals(us.get(k).asDouble(), fresh.uniform(), 0.0, "seed " + seed + " u() #" + k);
            }
            assertEquals(longs.get(0).asLong(), new java.util.SplittableRandom(seed).nextLong(),
                    "SplitMix64 is SplittableRandom's generator");
        }
        for (JsonNode s : json.path("samples").path("value")) {
            long seed = s.path("seed_i64").asLong();
            SplitMix64 rng = new SplitMix64(seed);
            int n = s.path("n").asInt();
            int m = s.path("m").asInt();
            assertArrayEquals(ints(s.path("indices")), rng.sample(n, m), "sample n=" + n + " m=" + m);
            assertEquals(s.path("next_i64_after").asLong(), rng.next(), "numbers drawn by sample n=" + n + " m=" + m);
        }
        for (JsonNode stream : json.path("streams").path("value")) {
            SplitMix64 rng = new SplitMix64(stream.path("seed_i64").asLong());
            int call = 0;
            for (JsonNode c : stream.path("calls")) {
                assertArrayEquals(ints(c.path("indices")), rng.sample(c.path("n").asInt(), c.path("m").asInt()),
                        "stream call " + call++);
            }
        }
    }

    // ---- prompt extraction ----

    private static MmrConfig config(JsonNode json) {
        JsonNode c = json.path("config");
        int minArea = c.path("min_area_is_default").asBoolean() ? 0 : c.path("min_area").asInt();
        PointMode mode = c.path("mode_is_default").asBoolean() ? MmrConfig.DEFAULT.mode()
                : PointMode.parse(c.path("mode").asText());
        assertEquals(c.path("mode").asText(), mode.id(), "mode (our default must be per-region)");
        assertTrue(c.path("multimask_output").asBoolean(), "MMR always asks for multimask output");
        return new MmrConfig(c.path("thr").asDouble(), minArea, c.path("m").asInt(), mode, c.path("seed").asLong());
    }

    private static int[] size(JsonNode json) {
        JsonNode s = json.path("config").path("original_size");
        return new int[] {s.get(0).asInt(), s.get(1).asInt()};
    }

    /** Runs the extractor and checks every prompt output; returns the prompts. */
    static RegionPrompts prompts(Path dir, JsonNode json) {
        MmrConfig config = config(json);
        Npy map = Fixtures.npy(dir.resolve(json.path("inputs").path("rough_map").path("file").asText()));
        int grid = (int) map.shape()[0];
        assertEquals(json.path("config").path("grid_size").asInt(), grid, "grid size");
        assertEquals(json.path("config").path("min_area").asInt(), config.minArea(grid), "min_area used");
        assertEquals(json.path("config").path("min_area_default").asInt(), MmrConfig.defaultMinArea(grid),
                "default min_area");
        assertEquals((float) json.path("config").path("thr_float32").asDouble(), config.thresholdFloat(),
                "float32 threshold");
        int[] hw = size(json);
        RegionPrompts p = new PromptExtractor(config).extract(map.floats(), grid, hw[0], hw[1]);
        JsonNode out = json.path("outputs");

        byte[] binary = Fixtures.npy(dir.resolve(out.path("binary").path("file").asText())).bytes();
        for (int k = 0; k < binary.length; k++) {
            if ((binary[k] != 0) != p.binary()[k]) {
                fail("binary differs at pixel (" + k / grid + ", " + k % grid + ")");
            }
        }
        assertArrayEquals(Fixtures.npy(dir.resolve(out.path("labels").path("file").asText())).ints(),
                p.components().labels(), "labels");
        assertEquals(out.path("num_components").path("value").asInt(), p.components().count(), "num_components");
        JsonNode comps = out.path("components").path("value");
        for (int k = 0; k < comps.size(); k++) {
            JsonNode e = comps.get(k);
            ConnectedComponents.Component c = p.components().components().get(k);
            String what = "component " + e.path("label").asInt();
            assertEquals(e.path("label").asInt(), c.label(), what + " label");
            assertEquals(e.path("area").asInt(), c.area(), what + " area");
            assertArrayEquals(ints(e.path("bbox_ij_inclusive")),
                    new int[] {c.minRow(), c.minCol(), c.maxRow(), c.maxCol()}, what + " bbox");
            assertArrayEquals(ints(e.path("first_pixel_ij")),
                    new int[] {c.firstPixel() / grid, c.firstPixel() % grid}, what + " first pixel");
            assertEquals(e.path("kept").asBoolean(), c.area() >= p.minArea(), what + " kept");
        }
        assertArrayEquals(ints(out.path("kept_labels").path("value")),
                p.boxes().stream().mapToInt(RegionPrompts.Box::label).toArray(), "kept_labels");
        JsonNode gridBoxes = out.path("boxes_grid_ij").path("value");
        JsonNode boxes = out.path("boxes_xyxy").path("value");
        double boxTol = out.path("boxes_xyxy").path("tolerance").path("atol").asDouble();
        assertEquals(gridBoxes.size(), p.boxes().size(), "number of boxes");
        for (int b = 0; b < p.boxes().size(); b++) {
            assertArrayEquals(ints(gridBoxes.get(b)), p.boxes().get(b).gridBox(), "grid box " + b);
            assertArrayEquals(doubles(boxes.get(b)), p.boxes().get(b).xyxy(), boxTol, "box " + b);
        }
        JsonNode sets = out.path("point_sets").path("value");
        double xyTol = out.path("point_sets").path("tolerance").path("atol").path("xy").asDouble();
        assertEquals(sets.size(), p.pointSets().size(), "number of point sets");
        for (int s = 0; s < sets.size(); s++) {
            JsonNode e = sets.get(s);
            RegionPrompts.PointSet a = p.pointSets().get(s);
            assertArrayEquals(ints(e.path("for_boxes")), a.forBoxes(), "point set " + s + " boxes");
            assertEquals(e.path("candidates").asInt(), a.candidates(), "point set " + s + " candidates");
            assertArrayEquals(ints(e.path("indices")), a.indices(), "point set " + s + " indices");
            JsonNode ij = e.path("grid_ij");
            for (int k = 0; k < ij.size(); k++) {
                assertArrayEquals(ints(ij.get(k)), a.gridPixels()[k], "point set " + s + " pixel " + k);
            }
            assertArrayEquals(flat(e.path("xy")), a.xy(), xyTol, "point set " + s + " xy");
        }
        JsonNode calls = out.path("sam_prompts").path("value");
        JsonNode callTol = out.path("sam_prompts").path("tolerance").path("atol");
        for (int b = 0; b < calls.size(); b++) {
            JsonNode e = calls.get(b);
            RegionPrompts.Box box = p.boxes().get(b);
            SamPrompt prompt = box.prompt();
            assertEquals(e.path("label").asInt(), box.label(), "prompt " + b + " label");
            assertArrayEquals(doubles(e.path("box")), prompt.box(), callTol.path("box").asDouble(), "prompt " + b
                    + " box");
            assertArrayEquals(flat(e.path("point_coords")), prompt.points(), callTol.path("point_coords").asDouble(),
                    "prompt " + b + " points");
            assertArrayEquals(ints(e.path("point_labels")), prompt.labels(), "prompt " + b + " point labels");
        }
        return p;
    }

    // ---- full MMR with the tiny SAM ----

    /** Counts what MMR asks of SAM. */
    private static final class CountingSegmenter implements Segmenter {
        private final Segmenter inner;
        int setImageCalls;
        int prompts;

        CountingSegmenter(Segmenter inner) {
            this.inner = inner;
        }

        @Override
        public void setImage(Image8 image) {
            setImageCalls++;
            inner.setImage(image);
        }

        @Override
        public GridMasks decode(List<SamPrompt> batch, int grid) {
            prompts += batch.size();
            return inner.decode(batch, grid);
        }
    }

    /** A SAM that must never be touched. */
    private static final class UntouchableSegmenter implements Segmenter {
        @Override
        public void setImage(Image8 image) {
            fail("SAM image encoder ran although no region survived");
        }

        @Override
        public GridMasks decode(List<SamPrompt> batch, int grid) {
            return fail("SAM decoder ran although no region survived");
        }
    }

    static void refine(Path dir) throws Exception {
        JsonNode json = Fixtures.json(dir.resolve("case.json"));
        RegionPrompts expectedPrompts = prompts(dir, json);
        JsonNode in = json.path("inputs");
        JsonNode out = json.path("outputs");
        Image8 image = Images.fromNpy(Fixtures.npy(dir.resolve(in.path("image").path("file").asText())));
        Image8 png = ImageFiles.read(dir.resolve(in.path("image_png").path("file").asText()));
        assertArrayEquals(image.data(), png.data(), "image.png holds the pixels of image.npy");
        float[] rough = Fixtures.npy(dir.resolve(in.path("rough_map").path("file").asText())).floats();
        int grid = json.path("config").path("grid_size").asInt();
        MaskRefinement mmr = new MaskRefinement(config(json));
        float[] expectedFinal = Fixtures.npy(dir.resolve(out.path("o_final").path("file").asText())).floats();

        if (expectedPrompts.isEmpty()) {
            MaskRefinement.Result r = mmr.refine(png, rough, grid, new UntouchableSegmenter(), true);
            assertEquals(0, out.path("sam_calls").path("value").asInt());
            assertEquals(0, out.path("set_image_calls").path("value").asInt());
            assertArrayEquals(expectedFinal, r.finalMap(), "O_final = O bit for bit");
            assertArrayEquals(rough, r.finalMap(), "O_final = O bit for bit");
            checkScores(out, r.finalMap(), Double.NaN);
            return;
        }

        Path checkpoint = dir.resolve(json.path("model").path("checkpoint").asText()).normalize();
        SamModel model;
        synchronized (MODELS) {
            model = MODELS.computeIfAbsent(checkpoint, SamModel::load);
        }
        MaskRefinement.Result r;
        CountingSegmenter sam;
        try (SamPredictor predictor = new SamPredictor(model)) {
            sam = new CountingSegmenter(new SamSegmenter(predictor));
            r = mmr.refine(png, rough, grid, sam, true);
        }
        assertEquals(out.path("set_image_calls").path("value").asInt(), sam.setImageCalls, "set_image calls");
        assertEquals(out.path("sam_calls").path("value").asInt(), sam.prompts, "predict calls (prompts decoded)");

        Close.assertClose(Fixtures.npy(dir.resolve(out.path("scores").path("file").asText())).floats(), r.scores(),
                atol(out.path("scores")), "scores");
        float[] logits = Fixtures.npy(dir.resolve(out.path("grid_logits").path("file").asText())).floats();
        Close.assertClose(logits, r.gridLogits(), atol(out.path("grid_logits")), "grid logits");

        double margin = out.path("masks").path("tolerance").path("mask_rule").path("margin").asDouble();
        byte[] masks = Fixtures.npy(dir.resolve(out.path("masks").path("file").asText())).bytes();
        int nearZero = 0;
        for (int k = 0; k < masks.length; k++) {
            if (Math.abs(logits[k]) < margin) {
                nearZero++;
                continue;
            }
            assertEquals(masks[k] != 0, r.gridLogits()[k] > 0, "mask pixel " + k);
        }
        assertEquals(out.path("masks").path("pixels_within_margin").asInt(), nearZero, "pixels within the margin");

        JsonNode fused = out.path("o_final").path("tolerance").path("fused_rule");
        double fusedMargin = fused.path("margin").asDouble();
        double fusedTol = fused.path("atol").asDouble();
        int pixels = grid * grid;
        int q = r.scores().length / 3;
        int compared = 0;
        for (int k = 0; k < pixels; k++) {
            boolean clear = true;
            for (int m = 0; m < 3 * q && clear; m++) {
                clear = Math.abs(logits[m * pixels + k]) >= fusedMargin;
            }
            if (clear) {
                compared++;
                assertEquals(expectedFinal[k], r.finalMap()[k], fusedTol, "O_final at pixel (" + k / grid + ", "
                        + k % grid + ")");
            }
        }
        assertTrue(compared > pixels / 2, "fused rule compared " + compared + " pixels");
        assertEquals(out.path("o_final").path("denominator").asDouble(), r.denominator(), fusedTol, "D");
        checkScores(out, r.finalMap(), fusedTol);
    }

    private static void checkScores(JsonNode out, float[] finalMap, double fusedTol) {
        JsonNode max = out.path("image_score");
        JsonNode top = out.path("image_score_top100_mean");
        assertEquals(max.path("value").asDouble(), ImageScore.max(finalMap), tolerance(max, fusedTol), "image score");
        assertEquals(top.path("value").asDouble(), ImageScore.topMean(finalMap, 100), tolerance(top, fusedTol),
                "top-100 mean");
    }

    private static double tolerance(JsonNode entry, double fallback) {
        JsonNode t = entry.path("tolerance");
        if (t.path("exact").asBoolean(false)) {
            return 0.0;
        }
        assertEquals(0.0, t.path("rtol").asDouble(0.0), "rtol is 0");
        return t.has("atol") ? t.path("atol").asDouble() : fallback;
    }

    private static double atol(JsonNode entry) {
        return tolerance(entry, Double.NaN);
    }

    // ---- fusion alone ----

    static void fusion(Path dir) {
        JsonNode json = Fixtures.json(dir.resolve("case.json"));
        JsonNode in = json.path("inputs");
        JsonNode out = json.path("outputs");
        float[] rough = Fixtures.npy(dir.resolve(in.path("rough_map").path("file").asText())).floats();
        Npy masksNpy = Fixtures.npy(dir.resolve(in.path("masks").path("file").asText()));
        long[] shape = masksNpy.shape();
        int q = (int) shape[0];
        int c = (int) shape[1];
        int pixels = (int) (shape[2] * shape[3]);
        byte[] raw = masksNpy.bytes();
        float[] rawScores = Fixtures.npy(dir.resolve(in.path("scores").path("file").asText())).floats();
        boolean[][][] masks = new boolean[q][c][pixels];
        float[][] scores = new float[q][c];
        for (int i = 0; i < q; i++) {
            for (int j = 0; j < c; j++) {
                scores[i][j] = rawScores[i * c + j];
                for (int k = 0; k < pixels; k++) {
                    masks[i][j][k] = raw[(i * c + j) * pixels + k] != 0;
                }
            }
        }
        float[] result = MaskFusion.fuse(rough, masks, scores);
        JsonNode fo = out.path("o_final");
        Close.assertClose(Fixtures.npy(dir.resolve(fo.path("file").asText())).floats(), result, atol(fo), "O_final");
        MaskFusion f = new MaskFusion(rough);
        for (int i = 0; i < q; i++) {
            f.add(masks[i], scores[i]);
        }
        assertEquals(fo.path("denominator").asDouble(), f.denominator(), 1e-12, "D");
        checkScores(out, result, Double.NaN);
    }

    // ---- JSON helpers ----

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }

    /** {@code [[x, y], ...]} as {@code [x0, y0, x1, y1, ...]}. */
    private static double[] flat(JsonNode pairs) {
        double[] out = new double[2 * pairs.size()];
        for (int i = 0; i < pairs.size(); i++) {
            out[2 * i] = pairs.get(i).get(0).asDouble();
            out[2 * i + 1] = pairs.get(i).get(1).asDouble();
        }
        return out;
    }
}

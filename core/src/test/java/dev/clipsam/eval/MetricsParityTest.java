package dev.clipsam.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.clipsam.io.Npy;
import dev.clipsam.testing.Fixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every case under {@code $CLIPSAM_FIXTURES/metrics}: the metric sets ({@code sets/*}, case.json), the
 * connected-component cases ({@code cc/*}, cc.json) and the normalisation case; one test each.
 */
class MetricsParityTest {

    private static final double METRIC_TOL = 1e-6;
    private static final double APRIL_GAN_TOL = 1e-9;
    private static final double EXACT_PRO_TOL = 1e-8;

    @TestFactory
    Stream<DynamicTest> everyMetricsCase() {
        Path suite = Fixtures.suite("metrics");
        List<Path> cases;
        try (Stream<Path> walk = Files.walk(suite, 2)) {
            cases = walk.filter(d -> Files.isRegularFile(d.resolve("case.json")) || Files.isRegularFile(d.resolve("cc.json"))
                    || Files.isRegularFile(d.resolve("normalization.json"))).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertTrue(cases.size() >= 3, "no metrics cases under " + suite);
        return cases.stream().map(dir -> DynamicTest.dynamicTest(suite.relativize(dir).toString(), () -> {
            if (Files.exists(dir.resolve("case.json"))) {
                Fixtures.runCase(dir, MetricsParityTest::metricSet);
            } else if (Files.exists(dir.resolve("cc.json"))) {
                Fixtures.runCase(dir, MetricsParityTest::components);
            } else {
                Fixtures.runCase(dir, MetricsParityTest::normalization);
            }
        }));
    }

    static void metricSet(Path dir) {
        JsonNode json = Fixtures.json(dir.resolve("case.json"));
        Npy maps = Fixtures.npy(dir.resolve("maps.npy"));
        Npy masks = Fixtures.npy(dir.resolve("masks.npy"));
        int n = (int) maps.shape()[0];
        int h = (int) maps.shape()[1];
        int w = (int) maps.shape()[2];
        float[] all = maps.floats();
        byte[] gt = masks.bytes();
        PixelScores collector = new PixelScores((long) n * h * w);
        for (int k = 0; k < n; k++) {
            float[] map = java.util.Arrays.copyOfRange(all, k * h * w, (k + 1) * h * w);
            boolean[] mask = new boolean[h * w];
            for (int i = 0; i < mask.length; i++) {
                mask[i] = gt[k * h * w + i] != 0;
            }
            collector.add(map, mask, w, h);
        }
        float min = collector.min();
        float max = collector.max();
        float[] imageMax = collector.imageMaxima();
        boolean[] imageLabels = collector.imageLabels();
        RankedScores ranked = collector.rank();

        JsonNode pixel = json.path("pixel");
        JsonNode stats = json.path("stats");
        assertEquals(stats.path("num_regions_8conn").asInt(), ranked.regionCount(), "regions (8-connectivity)");
        assertEquals(stats.path("num_pos_pixels").asInt(), ranked.positiveCount(), "positive pixels");
        BinaryMetrics m = BinaryMetrics.of(ranked);
        expect(pixel.path("auroc"), m.auroc(), METRIC_TOL, "pixel AUROC");
        expect(pixel.path("ap"), m.ap(), METRIC_TOL, "pixel AP");
        expect(pixel.path("f1_max"), m.f1Max(), METRIC_TOL, "pixel F1-max");
        expect(pixel.path("f1_max_threshold"), m.f1Threshold(), 0, "pixel F1-max threshold");
        expect(pixel.path("aupro_exact"), ProMetrics.exactAupro(ranked), EXACT_PRO_TOL, "exact AUPRO");

        ProMetrics.AprilGanCurve curve = ProMetrics.aprilGan(ranked, min, max);
        expect(pixel.path("aupro_aprilgan"), curve.aupro(), APRIL_GAN_TOL, "APRIL-GAN PRO");
        JsonNode ref = pixel.path("aprilgan_curve");
        if (ref.isObject()) {
            assertEquals(ref.path("num_thresholds").asInt(), curve.thresholds().length, "APRIL-GAN threshold count");
            assertEquals(ref.path("num_kept_fpr_below_limit").asInt(), curve.keptBelowLimit(), "kept points");
            for (int k = 0; k < curve.thresholds().length; k++) {
                assertEquals(ref.path("thresholds").get(k).asDouble(), curve.thresholds()[k], 0, "threshold " + k);
                assertEquals((float) ref.path("thresholds_as_float32").get(k).asDouble(), curve.thresholdsAsFloat32()[k],
                        0, "float32 threshold " + k);
                assertEquals(ref.path("fprs").get(k).asDouble(), curve.fprs()[k], 1e-12, "fpr " + k);
                assertEquals(ref.path("pros").get(k).asDouble(), curve.pros()[k], 1e-12, "pro " + k);
            }
        }

        JsonNode image = json.path("image");
        JsonNode byMax = image.path("score_max");
        float[] expectedMax = floats(byMax.path("scores"));
        assertArrayEquals(expectedMax, imageMax, "image maxima");
        checkImage(byMax, BinaryMetrics.of(imageMax, imageLabels), "image (max)");
        JsonNode byText = image.path("score_text");
        float[] text = Fixtures.npy(dir.resolve("text_scores.npy")).floats();
        checkImage(byText, BinaryMetrics.of(text, imageLabels), "image (text)");
    }

    private static void checkImage(JsonNode expected, BinaryMetrics actual, String what) {
        expect(expected.path("auroc"), actual.auroc(), METRIC_TOL, what + " AUROC");
        expect(expected.path("ap"), actual.ap(), METRIC_TOL, what + " AP");
        expect(expected.path("f1_max"), actual.f1Max(), METRIC_TOL, what + " F1-max");
        expect(expected.path("f1_max_threshold"), actual.f1Threshold(), 0, what + " F1-max threshold");
    }

    /** A JSON null means "undefined": we must give NaN. */
    private static void expect(JsonNode expected, double actual, double tol, String what) {
        if (expected.isNull() || expected.isMissingNode()) {
            assertTrue(Double.isNaN(actual), what + ": reference is undefined, we gave " + actual);
        } else {
            assertEquals(expected.asDouble(), actual, tol, what);
        }
    }

    static void components(Path dir) {
        JsonNode json = Fixtures.json(dir.resolve("cc.json"));
        Npy maskNpy = Fixtures.npy(dir.resolve(json.path("files").path("mask").asText()));
        int h = (int) maskNpy.shape()[0];
        int w = (int) maskNpy.shape()[1];
        byte[] raw = maskNpy.bytes();
        boolean[] mask = new boolean[raw.length];
        for (int i = 0; i < raw.length; i++) {
            mask[i] = raw[i] != 0;
        }
        for (String conn : List.of("conn1", "conn2")) {
            JsonNode ref = json.path(conn);
            ConnectedComponents.Connectivity c = conn.equals("conn1") ? ConnectedComponents.Connectivity.FOUR
                    : ConnectedComponents.Connectivity.EIGHT;
            ConnectedComponents.Result result = ConnectedComponents.label(mask, w, h, c);
            assertEquals(ref.path("num_components").asInt(), result.count(), conn + " count");
            assertArrayEquals(Fixtures.npy(dir.resolve(ref.path("file").asText())).ints(), result.labels(),
                    conn + " labels");
            for (int k = 0; k < result.count(); k++) {
                JsonNode e = ref.path("components").get(k);
                ConnectedComponents.Component got = result.components().get(k);
                assertEquals(e.path("label").asInt(), got.label());
                assertEquals(e.path("area").asInt(), got.area(), conn + " area of " + got.label());
                assertArrayEquals(new int[] {e.path("bbox").get(0).asInt(), e.path("bbox").get(1).asInt(),
                    e.path("bbox").get(2).asInt(), e.path("bbox").get(3).asInt()},
                        new int[] {got.minRow(), got.minCol(), got.maxRow() + 1, got.maxCol() + 1}, conn + " bbox");
                assertEquals(e.path("centroid").get(0).asDouble(), got.centroidRow(), 1e-12, conn + " centroid row");
                assertEquals(e.path("centroid").get(1).asDouble(), got.centroidCol(), 1e-12, conn + " centroid col");
                assertEquals(e.path("first_pixel_raster").get(0).asInt() * w + e.path("first_pixel_raster").get(1).asInt(),
                        got.firstPixel(), conn + " first pixel");
            }
        }
    }

    static void normalization(Path dir) {
        JsonNode json = Fixtures.json(dir.resolve("normalization.json"));
        Path set = dir.getParent().resolve(json.path("source_set").asText());
        Npy maps = Fixtures.npy(set.resolve("maps.npy"));
        float[] all = maps.floats();
        int per = (int) (maps.shape()[1] * maps.shape()[2]);
        JsonNode april = json.path("aprilgan");
        assertArrayEquals(Fixtures.npy(dir.resolve(april.path("file").asText())).floats(),
                Normalization.minMax(java.util.Arrays.copyOf(all, per)), "APRIL-GAN normalize(map 0), bit-exact");
        JsonNode anomalib = json.path("anomalib");
        float[] normalized = Normalization.anomalib(all, (float) anomalib.path("threshold_f1_adaptive").asDouble(),
                (float) anomalib.path("min").asDouble(), (float) anomalib.path("max").asDouble());
        assertArrayEquals(Fixtures.npy(dir.resolve(anomalib.path("file").asText())).floats(), normalized,
                "anomalib normalisation, bit-exact");
    }

    private static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).asDouble();
        }
        return out;
    }
}

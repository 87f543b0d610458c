package dev.clipsam.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clipsam.cli.ClipSamCommand;
import dev.clipsam.data.SyntheticDataset;
import dev.clipsam.image.ImageFiles;
import dev.clipsam.image.Image8;
import dev.clipsam.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark integration in a real local {@code SparkSession} ({@code local[2]}) with the tiny fixture models on a
 * synthetic dataset, against {@code clipsam predict} and {@code clipsam eval} on the same images. A local[2] task
 * runs libtorch with one thread ({@code spark.task.cpus}); the CLI runs are given one thread too, since float sums
 * of GEMMs split over other thread counts may differ in the last bits.
 */
class ClipSamSparkTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path dir;
    static Path data;
    static Path head;
    static String clip;
    static String sam;
    static SparkSession spark;

    @BeforeAll
    static void trainAHeadAndStartSpark() throws IOException {
        clip = TinyModels.clipTorchScript().toString();
        sam = TinyModels.samCheckpoint().toString();
        data = dir.resolve("data");
        SyntheticDataset.write(data, new SyntheticDataset.Spec(2, 2, 3, 96, 5));
        head = dir.resolve("head.safetensors");
        assertEquals(0, ClipSamCommand.run("train", "--clip", clip, "--data", data.toString(), "--format", "folder",
                "--out", head.toString(), "--epochs", "2", "--hidden", "8", "--stages", TinyModels.clipStages(2),
                "--image-size", String.valueOf(TinyModels.clipImageSize()), "--cache", dir.resolve("cache").toString()));
        spark = SparkSession.builder().master("local[2]").appName("clipsam-spark-test")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
                .config("spark.sql.warehouse.dir", dir.resolve("warehouse").toUri().toString()).getOrCreate();
    }

    @AfterAll
    static void stopSpark() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static ScoreOptions.Builder options() {
        return ScoreOptions.builder().head(head.toString()).clip(clip).sam(sam).classFromPath(true);
    }

    private static List<Path> images() throws IOException {
        try (Stream<Path> walk = Files.walk(data)) {
            return walk.filter(Files::isRegularFile).filter(p -> ClipSamSpark.isImage(p.toString())).sorted().toList();
        }
    }

    /** Rows by image file, without the timings (the only column that may differ between runs). */
    private static Map<String, Row> byFile(Dataset<Row> rows) {
        Map<String, Row> m = new HashMap<>();
        for (Row r : rows.drop("seconds").collectAsList()) {
            String file = r.getString(0).replaceFirst("^file:", "");
            assertNull(m.put(Path.of(file).toString(), r), "scored twice: " + file);
        }
        return m;
    }

    @Test
    void everyImageScoredOnceAsClipsamPredictScoresIt() throws IOException {
        Path predicted = dir.resolve("predicted");
        assertEquals(0, ClipSamCommand.run("predict", "--clip", clip, "--sam", sam, "--head", head.toString(),
                data.toString(), "--out", predicted.toString(), "--threads", "1"));
        JsonNode rows = JSON.readTree(predicted.resolve("results.json").toFile()).path("images");
        Map<String, Row> scored = byFile(ClipSamSpark.score(spark, ClipSamSpark.readImages(spark, data.toString()),
                options().withMasks(true).build()));
        assertEquals(images().size(), scored.size(), "every image, ground truth left out");
        assertEquals(rows.size(), scored.size());
        for (JsonNode p : rows) {
            Row r = scored.get(Path.of(p.path("image").asText()).toAbsolutePath().toString());
            assertNotNull(r, p.path("image").asText());
            assertNull(r.getAs("error"));
            assertEquals(p.path("class_name").asText(), r.getAs("class_name"));
            assertEquals(p.path("score").asDouble(), (double) r.getAs("score"), 0.0, "score of " + p.path("image"));
            assertEquals(p.path("score_top100_mean").asDouble(), (double) r.getAs("score_top100_mean"), 0.0);
            assertEquals(p.path("defect_fraction").asDouble(), (double) r.getAs("defect_fraction"), 0.0);
            assertEquals(p.path("threshold").asDouble(), (double) r.getAs("threshold"), 0.0);
            List<Row> regions = r.getList(r.fieldIndex("regions"));
            assertEquals(p.path("regions").asInt(), regions.size());
            for (int b = 0; b < regions.size(); b++) {
                List<Double> box = regions.get(b).getList(0);
                for (int k = 0; k < 4; k++) {
                    assertEquals(p.path("boxes").get(b).get(k).asDouble(), box.get(k), 0.0);
                }
                assertEquals(3, regions.get(b).getList(2).size(), "SAM's three IoU predictions");
            }
            Image8 mask = ImageFiles.read((byte[]) r.getAs("mask_png"), "mask.png");
            Image8 written = ImageFiles.read(predicted.resolve(p.path("mask").asText()));
            assertArrayEquals(written.data(), mask.data(), "mask of " + p.path("image"));
            Row model = r.getAs("model");
            assertEquals("fp32", model.getAs("precision"));
        }
    }

    @Test
    void aCorruptImageIsAnErrorRowAndTheOthersAreScored() throws IOException {
        StructType schema = new StructType().add("path", DataTypes.StringType).add("content", DataTypes.BinaryType);
        Path good = images().get(0);
        byte[] png = Files.readAllBytes(good);
        byte[] cut = java.util.Arrays.copyOf(png, png.length / 2);
        List<Row> in = List.of(RowFactory.create("file:/x/good.png", png), RowFactory.create("file:/x/cut.png", cut),
                RowFactory.create("file:/x/empty.png", new byte[0]),
                RowFactory.create("file:/x/text.png", "not an image".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        Map<String, Row> rows = byFile(ClipSamSpark.score(spark, spark.createDataFrame(in, schema),
                options().classFromPath(false).className("fabric").build()));
        assertNull(rows.get("/x/good.png").getAs("error"));
        for (String bad : List.of("cut.png", "empty.png", "text.png")) {
            Row r = rows.get("/x/" + bad);
            String error = r.getAs("error");
            assertNotNull(error, bad);
            assertTrue(error.startsWith(bad + ": ") && !error.contains("\n"), error);
            assertNull(r.getAs("score"));
        }
    }

    @Test
    void rowsDoNotDependOnPartitioning() {
        ScoreOptions o = options().build();
        Dataset<Row> images = ClipSamSpark.readImages(spark, data.toString());
        Map<String, Row> one = byFile(ClipSamSpark.score(spark, images.repartition(1), o));
        Map<String, Row> three = byFile(ClipSamSpark.score(spark, images.repartition(3), o));
        assertEquals(one, three);
    }

    @Test
    void theJobsMapsGiveClipsamEvalsMetrics() throws IOException {
        Path eval = dir.resolve("eval");
        assertEquals(0, ClipSamCommand.run("eval", "--clip", clip, "--sam", sam, "--head", head.toString(), "--data",
                data.toString(), "--format", "folder", "--out", eval.toString(), "--threads", "1"));
        Path out = dir.resolve("scored");
        Path maps = dir.resolve("spark-maps");
        String[] job = {"score", "--master", "local[2]", "--input", data.toString(), "--output", out.toString(),
            "--head", head.toString(), "--clip", clip, "--sam", sam, "--class-from-path", "--format", "json",
            "--save-maps", maps.toString(), "--partitions", "3"};
        assertEquals(0, ScoreJob.run(job));
        assertTrue(Files.isRegularFile(out.resolve("_SUCCESS")), "written through Spark's commit protocol");
        assertEquals(2, ScoreJob.run(job), "an output that exists is refused");
        List<String> missingHead = new ArrayList<>(List.of(job));
        missingHead.set(missingHead.indexOf(head.toString()), dir.resolve("missing.safetensors").toString());
        missingHead.set(missingHead.indexOf(out.toString()), dir.resolve("never").toString());
        assertEquals(2, ScoreJob.run(missingHead.toArray(String[]::new)), "a missing head is refused before any task");
        assertTrue(Files.notExists(dir.resolve("never")), "nothing written");
        List<String> missingInput = new ArrayList<>(List.of(job));
        missingInput.set(missingInput.indexOf(data.toString()), dir.resolve("no-such-folder").toString());
        missingInput.set(missingInput.indexOf(out.toString()), dir.resolve("never").toString());
        assertEquals(2, ScoreJob.run(missingInput.toArray(String[]::new)), "a missing input is refused");
        Files.createDirectories(dir.resolve("no-images"));
        missingInput.set(missingInput.indexOf(dir.resolve("no-such-folder").toString()),
                dir.resolve("no-images").toString());
        assertEquals(2, ScoreJob.run(missingInput.toArray(String[]::new)), "an input without images is refused");
        assertTrue(Files.notExists(dir.resolve("never")), "nothing written");
        Path again = dir.resolve("metrics");
        assertEquals(0, ClipSamCommand.run("metrics", "--maps", maps.toString(), "--dataset", data.toString(),
                "--format", "folder", "--out", again.toString()));
        JsonNode reported = JSON.readTree(eval.resolve("metrics.json").toFile());
        JsonNode recomputed = JSON.readTree(again.resolve("metrics.json").toFile());
        assertEquals(reported.path("classes"), recomputed.path("classes"), "per-class metrics");
        assertEquals(reported.path("mean"), recomputed.path("mean"), "means");

        List<String> csvJob = new ArrayList<>(List.of(job));
        csvJob.set(csvJob.indexOf("json"), "csv");
        csvJob.set(csvJob.indexOf(out.toString()), dir.resolve("scored-csv").toString());
        csvJob.add("--with-masks");
        assertEquals(0, ScoreJob.run(csvJob.toArray(String[]::new)));
        Dataset<Row> csv = spark.read().option("header", "true").csv(dir.resolve("scored-csv").toString());
        assertEquals(images().size(), csv.count());
        assertTrue(csv.first().<String>getAs("regions").startsWith("["), "nested columns as JSON text");
    }
}

package dev.clipsam.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clipsam.data.DatasetFormat;
import dev.clipsam.data.SyntheticDataset;
import dev.clipsam.engine.ClipSam;
import dev.clipsam.engine.EngineOptions;
import dev.clipsam.engine.Evaluation;
import dev.clipsam.image.Image8;
import dev.clipsam.image.ImageFiles;
import dev.clipsam.mmr.MmrConfig;
import dev.clipsam.mmr.PointMode;
import dev.clipsam.testing.TinyModels;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * ClipSAM end to end through the CLI with the tiny fixture models on a synthetic dataset: train a head, evaluate it
 * with MMR, recompute the report from the written maps, and predict single images.
 */
@Tag("slow")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PipelineCommandsTest {

    private static final Path CLIP_FILE = TinyModels.clipTorchScript();
    private static final String CLIP = CLIP_FILE.toString();
    private static final String OTHER_CLIP = TinyModels.clipStateDict().toString();
    private static String sam;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Path data;
    static Path head;

    @BeforeAll
    static void trainAHead() throws IOException {
        sam = TinyModels.samCheckpoint().toString();
        data = dir.resolve("data");
        SyntheticDataset.write(data, new SyntheticDataset.Spec(2, 3, 5, 96, 3));
        head = dir.resolve("head.safetensors");
        CliRunner.Result r = CliRunner.run("train", "--clip", CLIP, "--data", data.toString(), "--format", "folder",
                "--out", head.toString(), "--epochs", "4", "--hidden", "16", "--stages", TinyModels.clipStages(2),
                "--image-size", String.valueOf(TinyModels.clipImageSize()),
                "--cache", dir.resolve("cache").toString());
        assertEquals(0, r.exit(), r.out() + r.err());
    }

    private static String[] models(String... more) {
        String[] base = {"--clip", CLIP, "--sam", sam, "--head", head.toString()};
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    private static String[] cmd(String name, String... rest) {
        String[] all = new String[rest.length + 1];
        all[0] = name;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = new String[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    @Order(1)
    void evalReportEqualsTheMetricsOfItsWrittenMaps() throws IOException {
        Path out = dir.resolve("eval");
        CliRunner.Result r = CliRunner.run(concat(cmd("eval", models()), "--data", data.toString(), "--format",
                "folder", "--out", out.toString(), "--mmr-threshold", "0.3"));
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("pixel AUROC"), r.out());
        List<Path> maps;
        try (Stream<Path> walk = Files.walk(out.resolve("maps"))) {
            maps = walk.filter(p -> p.toString().endsWith(".npy")).toList();
        }
        assertEquals(16, maps.size(), "one map per image");
        for (String f : List.of("metrics.csv", "metrics.json", "metrics.md", "roc.png", "image_scores.csv",
                "eval-settings.json")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }

        Path again = dir.resolve("metrics-again");
        CliRunner.Result m = CliRunner.run("metrics", "--maps", out.resolve("maps").toString(), "--dataset",
                data.toString(), "--format", "folder", "--image-scores", out.resolve("image_scores.csv").toString(),
                "--out", again.toString());
        assertEquals(0, m.exit(), m.out() + m.err());
        JsonNode reported = JSON.readTree(out.resolve("metrics.json").toFile());
        JsonNode recomputed = JSON.readTree(again.resolve("metrics.json").toFile());
        assertEquals(reported.path("classes"), recomputed.path("classes"), "per-class metrics");
        assertEquals(reported.path("mean"), recomputed.path("mean"), "means");
        assertEquals(2, reported.path("classes").size());

        // --resume reuses every map and reports the same numbers
        CliRunner.Result resumed = CliRunner.run(concat(cmd("eval", models()), "--data", data.toString(), "--format",
                "folder", "--out", out.toString(), "--mmr-threshold", "0.3", "--resume"));
        assertEquals(0, resumed.exit(), resumed.err());
        assertTrue(resumed.out().contains("16 maps reused"), resumed.out());
        assertEquals(reported.path("classes"), JSON.readTree(out.resolve("metrics.json").toFile()).path("classes"));
        // other settings cannot resume this run
        CliRunner.Result mismatch = CliRunner.run(concat(cmd("eval", models()), "--data", data.toString(),
                "--format", "folder", "--out", out.toString(), "--resume"));
        assertEquals(2, mismatch.exit());
        assertTrue(mismatch.err().contains("used other settings"), mismatch.err());
        // an existing report is not overwritten silently
        CliRunner.Result refused = CliRunner.run(concat(cmd("eval", models()), "--data", data.toString(), "--format",
                "folder", "--out", out.toString()));
        assertEquals(2, refused.exit());
        assertTrue(refused.err().contains("not empty"), refused.err());
    }

    @Test
    @Order(2)
    void predictWritesMasksOverlaysAndResultsAndSkipsBadImages() throws IOException {
        Path images = dir.resolve("predict-in");
        Files.createDirectories(images);
        Path source = data.resolve("fabric");
        List<Path> files;
        try (Stream<Path> walk = Files.walk(source)) {
            files = walk.filter(Files::isRegularFile).filter(p -> !source.relativize(p).startsWith("ground_truth"))
                    .sorted().toList();
        }
        for (Path f : files) {
            Path target = images.resolve(source.relativize(f).toString());
            Files.createDirectories(target.getParent());
            Files.copy(f, target);
        }
        Files.writeString(images.resolve("broken.png"), "not a png");
        Files.write(images.resolve("huge.png"), hugePngHeader());   // 12000 x 12000: refused from its header
        Path out = dir.resolve("predicted");
        CliRunner.Result r = CliRunner.run(concat(cmd("predict", models()), images.toString(), "--out", out.toString(),
                "--class-name", "fabric", "--mmr-threshold", "0.3", "--save-maps"));
        assertEquals(1, r.exit(), "a bad image makes exit code 1: " + r.out() + r.err());
        assertTrue(r.out().contains("2 of " + (files.size() + 2) + " images skipped"), r.out());
        assertTrue(r.err().contains("broken.png"), "problems go to stderr: " + r.err());
        assertTrue(r.err().contains("huge.png: is 12000 x 12000 pixels (144.0 MP), more than the limit"), r.err());
        assertFalse(Files.exists(out.resolve("huge_mask.png")), "nothing of the huge image written");

        JsonNode results = JSON.readTree(out.resolve("results.json").toFile());
        assertEquals(files.size(), results.path("images").size());
        assertEquals(2, results.path("skipped").size());
        int withRegions = 0;
        Map<String, Double> evalScores = evalScores();
        for (JsonNode row : results.path("images")) {
            Image8 image = ImageFiles.read(Path.of(row.path("image").asText()));
            Image8 mask = ImageFiles.read(out.resolve(row.path("mask").asText()));
            assertEquals(image.width(), mask.width(), "mask at the image's size");
            assertEquals(image.height(), mask.height());
            Image8 overlay = ImageFiles.read(out.resolve(row.path("overlay").asText()));
            assertTrue(overlay.width() > 2 * image.width() + 8 && overlay.height() > image.height(),
                    "two panels, a colour bar, titles");
            assertTrue(Files.isRegularFile(out.resolve(row.path("map").asText())));
            withRegions += row.path("regions").asInt() > 0 ? 1 : 0;
            assertEquals(row.path("regions").asInt(), row.path("boxes").size());
            // the same image, class and settings give eval's image score
            String key = "fabric/" + row.path("name").asText() + ".npy";
            assertTrue(evalScores.containsKey(key), key);
            assertEquals(evalScores.get(key), row.path("score").asDouble(), 1e-6, key);
        }
        assertTrue(withRegions > 0, "MMR found regions and ran SAM on some image");
        try (Reader in = Files.newBufferedReader(out.resolve("results.csv"))) {
            List<CSVRecord> rows = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(in)
                    .getRecords();
            assertEquals(files.size(), rows.size());
        }

        CliRunner.Result refused = CliRunner.run(concat(cmd("predict", models()), files.get(0).toString(), "--out",
                out.toString()));
        assertEquals(2, refused.exit());
        assertTrue(refused.err().contains("--overwrite"), refused.err());

        Path noSam = dir.resolve("predicted-no-sam");
        CliRunner.Result rough = CliRunner.run("predict", "--clip", CLIP, "--head", head.toString(), "--no-sam",
                files.get(0).toString(), "--out", noSam.toString(), "--threshold", "0.4");
        assertEquals(0, rough.exit(), rough.err());
        JsonNode row = JSON.readTree(noSam.resolve("results.json").toFile()).path("images").get(0);
        assertEquals(0, row.path("regions").asInt());
        assertEquals(0.4, row.path("threshold").asDouble());
    }

    private static Map<String, Double> evalScores() throws IOException {
        Map<String, Double> scores = new HashMap<>();
        try (Reader in = Files.newBufferedReader(dir.resolve("eval/image_scores.csv"))) {
            for (CSVRecord r : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(in)) {
                scores.put(r.get("map"), Double.parseDouble(r.get("score")));
            }
        }
        return scores;
    }

    @Test
    @Order(3)
    void refusesAHeadOfAnotherClipAndNamesMissingCheckpoints() throws IOException {
        Path image = data.resolve("fabric/good").toFile().listFiles()[0].toPath();
        CliRunner.Result other = CliRunner.run("predict", "--clip", OTHER_CLIP, "--sam", sam, "--head", head.toString(),
                image.toString(), "--out", dir.resolve("x").toString());
        assertEquals(2, other.exit());
        assertTrue(other.err().startsWith("clipsam: " + head + ": was trained on CLIP " + CLIP_FILE.getFileName()),
                other.err());
        assertFalse(Files.exists(dir.resolve("x")), "nothing written");

        Path missing = dir.resolve("nowhere/sam_vit_h_4b8939.pth");
        CliRunner.Result noSam = CliRunner.run("predict", "--clip", CLIP, "--sam", missing.toString(), "--head",
                head.toString(), image.toString(), "--out", dir.resolve("y").toString());
        assertEquals(2, noSam.exit());
        assertEquals("clipsam: " + missing + ": checkpoint not found; get it with 'clipsam fetch sam-vit-h', or"
                + " download https://dl.fbaipublicfiles.com/segment_anything/sam_vit_h_4b8939.pth (SHA-256"
                + " a7bf3b02f3ebf1267aba913ff637d9a2d5c33d3173bb679e46d9f338c26f262e)", noSam.err().strip());

        CliRunner.Result ablation = CliRunner.run(concat(cmd("eval", models()), "--data", data.toString(), "--format",
                "folder", "--out", dir.resolve("z").toString(), "--ablation", "strip"));
        assertEquals(2, ablation.exit());
        assertTrue(ablation.err().contains("needs a strip head"), ablation.err());
    }

    @Test
    @Order(4)
    void theJavaApiAloneGivesTheCliReport() throws IOException {
        EngineOptions options = EngineOptions.builder().head(head).clip(CLIP_FILE).sam(Path.of(sam))
                .mmr(new MmrConfig(0.3, 0, 5, PointMode.PER_REGION, 0)).build();
        Path api = dir.resolve("api");
        try (ClipSam engine = ClipSam.open(options)) {
            Evaluation.Result result = Evaluation.of(engine).run(DatasetFormat.FOLDER.scan(data), null, false,
                    new Evaluation.Listener() { });
            assertTrue(result.problems().isEmpty(), result.problems().toString());
            result.report("api", Map.of()).write(api);
        }
        JsonNode cli = JSON.readTree(dir.resolve("eval/metrics.json").toFile());
        JsonNode lib = JSON.readTree(api.resolve("metrics.json").toFile());
        assertEquals(cli.path("classes"), lib.path("classes"), "per-class metrics");
        assertEquals(cli.path("mean"), lib.path("mean"), "means");
    }

    @Test
    @Order(5)
    void predictOnADatasetFolderSkipsGroundTruthAndResumes() throws IOException {
        Path out = data.resolve("predicted");   // inside the input: its files are never inputs
        long images;
        try (Stream<Path> walk = Files.walk(data)) {
            images = walk.filter(Files::isRegularFile).filter(ImageFiles::hasImageExtension)
                    .filter(p -> !data.relativize(p).toString().contains("ground_truth")).count();
        }
        CliRunner.Result r = CliRunner.run(concat(cmd("predict", models()), data.toString(), "--out", out.toString(),
                "--no-sam"));
        assertEquals(0, r.exit(), r.out() + r.err());
        JsonNode first = JSON.readTree(out.resolve("results.json").toFile());
        assertEquals(images, first.path("images").size(), "every image, no mask");
        first.path("images").forEach(row -> assertFalse(row.path("image").asText().contains("ground_truth")));
        assertEquals(images, Files.readAllLines(out.resolve("results.jsonl")).size(), "rows streamed as they come");

        CliRunner.Result again = CliRunner.run(concat(cmd("predict", models()), data.toString(), "--out",
                out.toString(), "--no-sam", "--resume"));
        assertEquals(0, again.exit(), again.err());
        assertTrue(again.out().contains("(" + images + " done in the run continued)"), again.out());
        assertEquals(first.path("images"), JSON.readTree(out.resolve("results.json").toFile()).path("images"));
        CliRunner.Result other = CliRunner.run(concat(cmd("predict", models()), data.toString(), "--out",
                out.toString(), "--no-sam", "--resume", "--class-name", "wood"));
        assertEquals(2, other.exit());
        assertTrue(other.err().contains("class_name was '") && other.err().contains("now 'wood'"), other.err());
        try (Stream<Path> files = Files.walk(out)) {   // the dataset again as it was, for the tests after this one
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    @Order(6)
    void trainingFreePredictFromReferenceImages() throws IOException {
        Path out = dir.resolve("training-free");
        Path good = data.resolve("fabric/good");
        CliRunner.Result r = CliRunner.run("predict", "--clip", CLIP, "--sam", sam, "--refs", good.toString(),
                "--image-size", String.valueOf(TinyModels.clipImageSize()), "--stages", TinyModels.clipStages(),
                data.resolve("fabric").toString(), "--class-name", "fabric", "--out", out.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("head none, "), r.out());
        JsonNode rows = JSON.readTree(out.resolve("results.json").toFile()).path("images");
        assertTrue(rows.size() > 0);
        for (JsonNode row : rows) {
            if (row.path("name").asText().startsWith("good/")) {
                assertEquals(0.0, row.path("score").asDouble(), 1e-4, "a reference scored against itself");
            }
        }
        CliRunner.Result none = CliRunner.run("predict", "--clip", CLIP, data.resolve("fabric").toString(), "--out",
                dir.resolve("nothing").toString());
        assertEquals(2, none.exit());
        assertTrue(none.err().contains("give a trained head (--head) or images of good parts (--refs)"), none.err());
    }

    @Test
    @Order(7)
    void trainingFreeEvalEqualsTheMetricsOfItsMaps() throws IOException {
        Path out = dir.resolve("fewshot-eval");
        CliRunner.Result r = CliRunner.run("eval", "--clip", CLIP, "--sam", sam, "--refs-per-class", "2",
                "--image-size", String.valueOf(TinyModels.clipImageSize()), "--stages", TinyModels.clipStages(),
                "--data", data.toString(), "--format", "folder", "--out", out.toString(), "--mmr-threshold", "0.3");
        assertEquals(0, r.exit(), r.out() + r.err());
        JsonNode reported = JSON.readTree(out.resolve("metrics.json").toFile());
        assertEquals(reported.path("classes").get(0).path("images").asInt() + 2,
                DatasetFormat.FOLDER.scan(data).samples(reported.path("classes").get(0).path("class").asText()).size(),
                "references taken from the test images are not scored");
        CliRunner.Result m = CliRunner.run("metrics", "--maps", out.resolve("maps").toString(), "--dataset",
                data.toString(), "--format", "folder", "--image-scores", out.resolve("image_scores.csv").toString(),
                "--out", dir.resolve("fewshot-metrics").toString());
        assertEquals(0, m.exit(), m.err());
        JsonNode recomputed = JSON.readTree(dir.resolve("fewshot-metrics/metrics.json").toFile());
        assertEquals(reported.path("classes"), recomputed.path("classes"));
    }

    @Test
    @Order(8)
    void aReferenceFileGivesWhatItsImagesGive() throws IOException {
        Path refs = dir.resolve("good-refs.safetensors");
        String size = String.valueOf(TinyModels.clipImageSize());
        String good = data.resolve("fabric/good").toString();
        CliRunner.Result built = CliRunner.run("refs", "build", "--clip", CLIP, "--image-size", size, "--stages",
                TinyModels.clipStages(), good, "--out", refs.toString());
        assertEquals(0, built.exit(), built.err());
        assertEquals(0, CliRunner.run("inspect", refs.toString()).exit());
        List<JsonNode> runs = new ArrayList<>();
        for (String given : List.of(refs.toString(), good)) {
            Path out = dir.resolve("refs-run-" + runs.size());
            CliRunner.Result r = CliRunner.run("predict", "--clip", CLIP, "--no-sam", "--refs", given, "--image-size",
                    size, "--stages", TinyModels.clipStages(), data.resolve("fabric").toString(), "--out",
                    out.toString());
            assertEquals(0, r.exit(), r.err());
            runs.add(JSON.readTree(out.resolve("results.json").toFile()).path("images"));
        }
        for (int i = 0; i < runs.get(0).size(); i++) {
            assertEquals(runs.get(1).get(i).path("score").asDouble(), runs.get(0).get(i).path("score").asDouble(),
                    1e-6, "the file's memory is the images' memory");
        }
        CliRunner.Result other = CliRunner.run("predict", "--clip", CLIP, "--no-sam", "--refs", refs.toString(),
                "--image-size", String.valueOf(2 * TinyModels.clipImageSize()), "--stages", TinyModels.clipStages(),
                data.resolve("fabric").toString(), "--out", dir.resolve("refs-other").toString());
        assertEquals(2, other.exit());
        assertTrue(other.err().contains("was built at " + size + " px"), other.err());
    }

    /** A PNG of nothing but a header claiming 12000 x 12000 RGB pixels. */
    static byte[] hugePngHeader() {
        java.nio.ByteBuffer ihdr = java.nio.ByteBuffer.allocate(17).put(new byte[] {'I', 'H', 'D', 'R'}).putInt(12000)
                .putInt(12000).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(ihdr.array());
        return java.nio.ByteBuffer.allocate(8 + 4 + 17 + 4).put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n',
            0x1a, '\n'}).putInt(13).put(ihdr.array()).putInt((int) crc.getValue()).array();
    }
}

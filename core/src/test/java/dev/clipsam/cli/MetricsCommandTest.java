package dev.clipsam.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clipsam.data.Dataset;
import dev.clipsam.data.DatasetFormat;
import dev.clipsam.data.MaskFiles;
import dev.clipsam.data.Sample;
import dev.clipsam.eval.ClassMetrics;
import dev.clipsam.eval.PixelScores;
import dev.clipsam.io.Npy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** synth -> data check -> maps -> metrics through the CLI; the written numbers equal the API's. */
class MetricsCommandTest {

    @Test
    void synthCheckAndMetricsEndToEnd(@TempDir Path dir) throws IOException {
        Path data = dir.resolve("synthetic");
        CliRunner.Result synth = CliRunner.run("synth", "--out", data.toString(), "--classes", "2", "--normal", "3",
                "--anomalous", "4", "--size", "64", "--seed", "3");
        assertEquals(0, synth.exit(), synth.err());
        CliRunner.Result check = CliRunner.run("data", "check", data.toString(), "--format", "folder");
        assertEquals(0, check.exit(), check.out() + check.err());
        assertTrue(check.out().contains("fabric                         7       3         4      4"), check.out());

        // Maps: the mask (on the 64 grid) plus noise, written as <class>/<defect>/<stem>.npy.
        Dataset dataset = DatasetFormat.FOLDER.scan(data);
        Path maps = dir.resolve("maps");
        SplittableRandom r = new SplittableRandom(1);
        for (Sample s : dataset.all()) {
            boolean[] mask = MaskFiles.onGrid(s.mask(), 64, 64);
            float[] map = new float[64 * 64];
            for (int i = 0; i < map.length; i++) {
                map[i] = (float) ((mask[i] ? 0.6 : 0) + r.nextDouble() * 0.7);
            }
            String stem = s.image().getFileName().toString().replace(".png", "");
            Path file = maps.resolve(s.className()).resolve(s.defectType()).resolve(stem + ".npy");
            Files.createDirectories(file.getParent());
            Npy.write(file, map, 64, 64);
        }
        Path report = dir.resolve("report");
        CliRunner.Result metrics = CliRunner.run("metrics", "--maps", maps.toString(), "--dataset", data.toString(),
                "--format", "folder", "--out", report.toString());
        assertEquals(0, metrics.exit(), metrics.out() + metrics.err());
        for (String f : new String[] {"metrics.csv", "metrics.json", "metrics.md", "roc.png", "pr.png", "pro.png"}) {
            assertTrue(Files.size(report.resolve(f)) > 100, f);
        }
        assertTrue(metrics.out().contains("pixel AUROC"), metrics.out());
        assertTrue(metrics.out().lines().anyMatch(l -> l.startsWith("mean")), metrics.out());

        // Recompute the fabric class through the API from the written maps.
        PixelScores scores = new PixelScores(0);
        for (Sample s : dataset.samples("fabric")) {
            String stem = s.image().getFileName().toString().replace(".png", "");
            float[] map = Npy.read(maps.resolve("fabric").resolve(s.defectType()).resolve(stem + ".npy")).floats();
            scores.add(map, MaskFiles.onGrid(s.mask(), 64, 64), 64, 64);
        }
        ClassMetrics expected = ClassMetrics.evaluate("fabric", scores, null);
        JsonNode json = new ObjectMapper().readTree(report.resolve("metrics.json").toFile());
        JsonNode fabric = json.path("classes").get(0);
        assertEquals("fabric", fabric.path("class").asText());
        assertEquals(expected.pixel().auroc(), fabric.path("pixel_auroc").asDouble(), 0);
        assertEquals(expected.pixel().ap(), fabric.path("pixel_ap").asDouble(), 0);
        assertEquals(expected.auproExact(), fabric.path("pixel_aupro").asDouble(), 0);
        assertEquals(expected.image().auroc(), fabric.path("image_auroc").asDouble(), 0);
        assertTrue(expected.pixel().auroc() > 0.8, "the planted signal is found");

        CliRunner.Result again = CliRunner.run("metrics", "--maps", maps.toString(), "--dataset", data.toString(),
                "--format", "folder", "--out", report.toString());
        assertEquals(2, again.exit(), "an existing report is not overwritten silently");
    }

    @Test
    void badInputsExitWithCodes(@TempDir Path dir) throws IOException {
        CliRunner.Result missing = CliRunner.run("data", "check", dir.resolve("none").toString(), "--format", "mvtec");
        assertEquals(2, missing.exit());
        assertEquals("clipsam: " + dir.resolve("none") + ": folder not found", missing.err().strip());
        Files.createDirectories(dir.resolve("maps/c"));
        Files.createDirectories(dir.resolve("masks"));
        Npy.write(dir.resolve("maps/c/a.npy"), new float[] {0, 1, 0.5f, 0.2f}, 2, 2);
        Files.writeString(dir.resolve("maps/c/b.npy"), "garbage");
        CliRunner.Result partly = CliRunner.run("metrics", "--maps", dir.resolve("maps").toString(), "--masks",
                dir.resolve("masks").toString(), "--out", dir.resolve("r").toString());
        assertEquals(1, partly.exit(), partly.out() + partly.err());
        assertTrue(partly.out().contains("1 problems"), partly.out());
        assertTrue(partly.err().contains("b.npy: "), "problems go to stderr: " + partly.err());
    }
}

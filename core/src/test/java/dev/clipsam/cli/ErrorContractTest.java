package dev.clipsam.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipsam.image.Image8;
import dev.clipsam.image.ImageWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's error-contract table, row by row: bad options and bad files give exit code 2 and one line on stderr
 * naming the option or file; options are checked before any file is opened (so a bad option wins over a missing
 * head), files before any checkpoint is hashed or loaded.
 */
class ErrorContractTest {

    @TempDir
    static Path dir;
    static String image;
    static String missingHead;

    @BeforeAll
    static void files() throws IOException {
        Path png = dir.resolve("part.png");
        ImageWriter.writePng(png, new Image8(8, 8, 3, new byte[8 * 8 * 3]));
        image = png.toString();
        missingHead = dir.resolve("no-head.safetensors").toString();
        Files.writeString(dir.resolve("a-file"), "x");
        // A dataset whose one mask is of another size than its image.
        dev.clipsam.data.SyntheticDataset.write(dir.resolve("badmask"), new dev.clipsam.data.SyntheticDataset.Spec(1,
                1, 1, 64, 1));
        try (Stream<Path> masks = Files.walk(dir.resolve("badmask"))) {
            Path mask = masks.filter(p -> p.toString().contains("ground_truth") && Files.isRegularFile(p)).findFirst()
                    .orElseThrow();
            ImageWriter.writePng(mask, new Image8(32, 32, 1, new byte[32 * 32]));
        }
    }

    /** One row: the arguments, and the text the one stderr line must hold. */
    private record Row(String what, String expected, String... args) {
    }

    private static List<Row> rows() {
        String out = dir.resolve("out").toString();
        String file = dir.resolve("a-file").toString();
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("threshold below 0", "--threshold -1.0 is not a number in [0, 1]",
                "predict", "--head", missingHead, "--threshold", "-1", image, "--out", out));
        rows.add(new Row("threshold above 1", "--threshold 2.0 is not a number in [0, 1]",
                "predict", "--head", missingHead, "--threshold", "2", image, "--out", out));
        rows.add(new Row("threshold NaN", "--threshold NaN is not a number in [0, 1]",
                "predict", "--head", missingHead, "--threshold", "NaN", image, "--out", out));
        rows.add(new Row("negative min area", "--min-area -5 is negative",
                "predict", "--head", missingHead, "--min-area", "-5", image, "--out", out));
        rows.add(new Row("MMR threshold above 1", "--mmr-threshold 1.5 is not a number in [0, 1]",
                "predict", "--head", missingHead, "--mmr-threshold", "1.5", image, "--out", out));
        rows.add(new Row("no points", "--points 0 must be at least 1",
                "predict", "--head", missingHead, "--points", "0", image, "--out", out));
        rows.add(new Row("zero threads", "--threads 0 is not between 1 and",
                "predict", "--head", missingHead, "--threads", "0", image, "--out", out));
        rows.add(new Row("negative threads", "--threads -1 is not between 1 and",
                "eval", "--head", missingHead, "--threads", "-1", "--data", out, "--format", "folder", "--out", out));
        rows.add(new Row("missing image", dir.resolve("nothing.png") + ": file not found",
                "predict", "--head", missingHead, dir.resolve("nothing.png").toString(), "--out", out));
        rows.add(new Row("output is a file", file + ": is a file, not a folder",
                "predict", "--head", missingHead, image, "--out", file));
        rows.add(new Row("output not writable", "/proc/clipsam-out: cannot write here (",
                "predict", "--head", missingHead, image, "--out", "/proc/clipsam-out"));
        rows.add(new Row("missing head", missingHead + ": head file not found",
                "predict", "--head", missingHead, image, "--out", out));
        rows.add(new Row("three pooling scales", "--scales takes two pooling sizes",
                "train", "--data", out, "--format", "folder", "--out", dir.resolve("h.safetensors").toString(),
                "--scales", "3,5,7"));
        rows.add(new Row("head file not writable", "/proc/clipsam: cannot write here (",
                "train", "--data", out, "--format", "folder", "--out", "/proc/clipsam/h.safetensors"));
        rows.add(new Row("negative learning rate", "--lr -0.1 must be a positive number",
                "train", "--data", out, "--format", "folder", "--out", dir.resolve("h.safetensors").toString(),
                "--lr", "-0.1"));
        rows.add(new Row("a mask of another size", "mask is 32x32 but its image",
                "train", "--data", dir.resolve("badmask").toString(), "--format", "folder", "--out",
                dir.resolve("h.safetensors").toString(), "--clip", dir.resolve("never-read.pt").toString()));
        rows.add(new Row("resume without maps", "--resume continues from the maps of an earlier run",
                "eval", "--head", missingHead, "--data", out, "--format", "folder", "--out", out, "--resume",
                "--no-maps"));
        rows.add(new Row("metrics without ground truth", "give either --masks DIR, or --dataset ROOT with --format F",
                "metrics", "--maps", out));
        rows.add(new Row("unknown option", "Unknown option: '--tresholds'",
                "predict", "--head", missingHead, "--tresholds", "0.5", image, "--out", out));
        return rows;
    }

    @TestFactory
    Stream<DynamicTest> everyRowIsExitTwoAndOneLine() {
        return rows().stream().map(row -> DynamicTest.dynamicTest(row.what(), () -> {
            CliRunner.Result r = CliRunner.run(row.args());
            assertEquals(2, r.exit(), row.what() + ": " + r.out() + r.err());
            List<String> lines = r.err().strip().lines().filter(l -> !l.startsWith("Try '")).toList();
            assertEquals(1, lines.size(), row.what() + ": one line on stderr, not " + r.err());
            assertTrue(lines.get(0).startsWith("clipsam: ") && lines.get(0).contains(row.expected()),
                    row.what() + ": expected '" + row.expected() + "' in " + lines.get(0));
            assertFalse(r.err().contains("Exception"), row.what() + ": no stack trace: " + r.err());
            assertFalse(Files.exists(dir.resolve("out")), row.what() + ": nothing written");
        }));
    }
}

package dev.clipsam.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clipsam.data.SyntheticDataset;
import dev.clipsam.io.Checkpoint;
import dev.clipsam.testing.Fixtures;
import dev.clipsam.umci.HeadFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {

    private static final String CLIP = Fixtures.suite("clip").resolve("model/tiny-clip-openai.pt").toString();

    @Test
    void trainsAndWritesASelfDescribingHead(@TempDir Path dir) throws IOException {
        SyntheticDataset.write(dir.resolve("data"), new SyntheticDataset.Spec(2, 2, 4, 96, 1));
        Path out = dir.resolve("head.safetensors");
        CliRunner.Result r = CliRunner.run("train", "--clip", CLIP, "--data", dir.resolve("data").toString(), "--format",
                "folder", "--out", out.toString(), "--epochs", "2", "--hidden", "16", "--stages", "2,4", "--image-size",
                "56", "--cache", dir.resolve("cache").toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("tokens: 12 computed, 0 read from the cache"), r.out());
        try (Checkpoint ckpt = Checkpoint.open(out)) {
            JsonNode d = HeadFile.description(ckpt);
            assertEquals("umci", d.path("head").path("type").asText());
            assertEquals(128, d.path("head").path("clip_width").asInt());
            assertEquals(32, d.path("head").path("text_dim").asInt());
            assertEquals("f4b4802aabc86d2470001e1a1276c0606c774b3e0260aa1599ec66d120ba1ffd",
                    d.path("clip").path("sha256").asText());
            assertEquals(2, d.path("training").path("epoch_losses").size());
            assertTrue(d.path("threshold").asDouble() > 0 && d.path("threshold").asDouble() < 1);
        }
        JsonNode sidecar = new ObjectMapper().readTree(dir.resolve("head.json").toFile());
        assertEquals(HeadFile.FORMAT, sidecar.path("format").asText());
        assertTrue(Files.exists(dir.resolve("head.resume.safetensors")));

        // Second run: the tokens come from the cache; the head is not overwritten without --overwrite.
        CliRunner.Result refused = CliRunner.run("train", "--clip", CLIP, "--data", dir.resolve("data").toString(),
                "--format", "folder", "--out", out.toString(), "--image-size", "56");
        assertEquals(2, refused.exit());
        CliRunner.Result again = CliRunner.run("train", "--clip", CLIP, "--data", dir.resolve("data").toString(),
                "--format", "folder", "--out", out.toString(), "--epochs", "1", "--hidden", "16", "--stages", "2,4",
                "--image-size", "56", "--cache", dir.resolve("cache").toString(), "--overwrite");
        assertEquals(0, again.exit(), again.err());
        assertTrue(again.out().contains("tokens: 0 computed, 12 read from the cache"), again.out());
    }

    @Test
    void badInputsAreOneLineAndLeaveNoHead(@TempDir Path dir) throws IOException {
        Path data = dir.resolve("data");
        SyntheticDataset.write(data, new SyntheticDataset.Spec(1, 1, 2, 64, 1));
        Path out = dir.resolve("head.safetensors");
        CliRunner.Result size = CliRunner.run("train", "--clip", CLIP, "--data", data.toString(), "--format", "folder",
                "--out", out.toString(), "--image-size", "100", "--stages", "1,2", "--cache", dir.resolve("c").toString());
        assertEquals(2, size.exit());
        assertEquals("clipsam: image size 100 is not a multiple of the CLIP patch size 14", size.err().strip());

        try (var masks = Files.walk(data.resolve("fabric/ground_truth"))) {
            masks.filter(Files::isRegularFile).findFirst().ifPresent(p -> p.toFile().delete());
        }
        CliRunner.Result unmasked = CliRunner.run("train", "--clip", CLIP, "--data", data.toString(), "--format",
                "folder", "--out", out.toString(), "--image-size", "56", "--stages", "1,2");
        assertEquals(2, unmasked.exit());
        assertTrue(unmasked.err().startsWith("clipsam: " + data + ": 1 anomalous images have no mask"), unmasked.err());
        assertFalse(Files.exists(out), "no half-written head");
    }
}

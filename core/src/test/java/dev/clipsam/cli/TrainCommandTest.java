package dev.clipsam.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clipsam.data.SyntheticDataset;
import dev.clipsam.io.Checkpoint;
import dev.clipsam.testing.TinyModels;
import dev.clipsam.umci.HeadDescription;
import dev.clipsam.umci.HeadFile;
import dev.clipsam.umci.HeadType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {

    private static final String CLIP = TinyModels.clipTorchScript().toString();
    private static final String STAGES = TinyModels.clipStages(2);
    private static final String SIZE = String.valueOf(TinyModels.clipImageSize());

    @Test
    void trainsAndWritesASelfDescribingHead(@TempDir Path dir) throws IOException {
        SyntheticDataset.write(dir.resolve("data"), new SyntheticDataset.Spec(2, 2, 4, 96, 1));
        Path out = dir.resolve("head.safetensors");
        CliRunner.Result r = CliRunner.run("train", "--clip", CLIP, "--data", dir.resolve("data").toString(), "--format",
                "folder", "--out", out.toString(), "--epochs", "2", "--hidden", "16", "--stages", STAGES, "--image-size",
                SIZE, "--cache", dir.resolve("cache").toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("tokens: 12 computed, 0 read from the cache"), r.out());
        try (Checkpoint ckpt = Checkpoint.open(out)) {
            HeadDescription d = HeadFile.description(ckpt);
            assertEquals(HeadType.UMCI, d.config().type());
            JsonNode args = TinyModels.clipConfig().path("constructor_args");
            assertEquals(args.path("vision_width").asInt(), d.config().clipWidth());
            assertEquals(args.path("embed_dim").asInt(), d.config().textDim());
            assertEquals(TinyModels.clipSha256(TinyModels.clipTorchScript()), d.clip().sha256());
            assertEquals(TinyModels.clipImageSize(), d.imageSize());
            assertEquals(2, d.training().path("epoch_losses").size());
            assertTrue(d.threshold() > 0 && d.threshold() < 1);
        }
        JsonNode sidecar = new ObjectMapper().readTree(dir.resolve("head.json").toFile());
        assertEquals(HeadFile.FORMAT, sidecar.path("format").asText());
        assertFalse(Files.exists(dir.resolve("head.resume.safetensors")), "the resume checkpoint goes after success");
        assertTrue(r.out().contains("deleted the resume checkpoint"), r.out());

        // Second run: the tokens come from the cache; the head is not overwritten without --overwrite.
        CliRunner.Result refused = CliRunner.run("train", "--clip", CLIP, "--data", dir.resolve("data").toString(),
                "--format", "folder", "--out", out.toString(), "--image-size", SIZE);
        assertEquals(2, refused.exit());
        CliRunner.Result again = CliRunner.run("train", "--clip", CLIP, "--data", dir.resolve("data").toString(),
                "--format", "folder", "--out", out.toString(), "--epochs", "1", "--hidden", "16", "--stages", STAGES,
                "--image-size", SIZE, "--cache", dir.resolve("cache").toString(), "--overwrite", "--keep-resume");
        assertEquals(0, again.exit(), again.err());
        assertTrue(again.out().contains("tokens: 0 computed, 12 read from the cache"), again.out());
        assertTrue(Files.exists(dir.resolve("head.resume.safetensors")), "--keep-resume keeps it");
    }

    @Test
    void badInputsAreOneLineAndLeaveNoHead(@TempDir Path dir) throws IOException {
        Path data = dir.resolve("data");
        SyntheticDataset.write(data, new SyntheticDataset.Spec(1, 1, 2, 64, 1));
        Path out = dir.resolve("head.safetensors");
        int patch = TinyModels.clipPatch();
        String notMultiple = String.valueOf(patch * 7 + 1);
        CliRunner.Result size = CliRunner.run("train", "--clip", CLIP, "--data", data.toString(), "--format", "folder",
                "--out", out.toString(), "--image-size", notMultiple, "--stages", STAGES, "--cache",
                dir.resolve("c").toString());
        assertEquals(2, size.exit());
        assertEquals("clipsam: image size " + notMultiple + " is not a multiple of the CLIP patch size " + patch,
                size.err().strip());

        try (var masks = Files.walk(data.resolve("fabric/ground_truth"))) {
            masks.filter(Files::isRegularFile).findFirst().ifPresent(p -> p.toFile().delete());
        }
        CliRunner.Result unmasked = CliRunner.run("train", "--clip", CLIP, "--data", data.toString(), "--format",
                "folder", "--out", out.toString(), "--image-size", SIZE, "--stages", STAGES);
        assertEquals(2, unmasked.exit());
        assertTrue(unmasked.err().startsWith("clipsam: " + data + ": 1 anomalous images have no mask"), unmasked.err());
        assertFalse(Files.exists(out), "no half-written head");
    }
}

package dev.clipsam.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipsam.io.SafeTensorsWriter;
import dev.clipsam.nn.Tensors;
import com.fasterxml.jackson.databind.JsonNode;
import dev.clipsam.testing.Fixtures;
import dev.clipsam.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {

    private static final Path MODEL = Fixtures.suite("clip").resolve("model");

    /** What inspect must report of a CLIP file, derived from the root's model config and archive layout. */
    @Test
    void describesTheTorchScriptClip() {
        Path file = TinyModels.clipTorchScript();
        JsonNode args = TinyModels.clipConfig().path("constructor_args");
        JsonNode tensors = Fixtures.json(MODEL.resolve("archive_layout.json")).path(file.getFileName().toString())
                .path("tensors");
        Map<String, Integer> dtypes = new TreeMap<>();
        long parameters = 0;
        for (JsonNode t : tensors) {
            dtypes.merge(t.path("dtype").asText(), 1, Integer::sum);
            if (!t.path("dtype").asText().equals("int64")) {
                long n = 1;
                for (JsonNode d : t.path("shape")) {
                    n *= d.asLong();
                }
                parameters += n;
            }
        }
        int width = args.path("vision_width").asInt();
        int patch = args.path("vision_patch_size").asInt();
        int image = args.path("image_resolution").asInt();
        CliRunner.Result r = CliRunner.run("inspect", file.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("TorchScript archive"), r.out());
        for (Map.Entry<String, Integer> d : dtypes.entrySet()) {
            assertTrue(r.out().matches("(?s).*\\b" + d.getKey() + ": " + d.getValue() + "\\b.*"), d + " in " + r.out());
        }
        assertTrue(r.out().contains("width " + width + ", layers " + args.path("vision_layers").asInt() + ", heads "
                + width / 64 + ", patch " + patch + ", image " + image + " px (grid " + image / patch + ")"), r.out());
        int textWidth = args.path("transformer_width").asInt();
        assertTrue(r.out().contains("width " + textWidth + ", layers " + args.path("transformer_layers").asInt()
                + ", heads " + textWidth / 64 + ", context " + args.path("context_length").asInt() + ", vocab "
                + args.path("vocab_size").asInt()), r.out());
        assertTrue(r.out().contains("embed dim  " + args.path("embed_dim").asInt()), r.out());
        assertTrue(r.out().contains(String.format("%,d parameters", parameters)), r.out());
        assertTrue(r.out().matches("(?s).*missing\\s+none.*unexpected\\s+none.*"), r.out());
    }

    @Test
    void describesThePlainStateDictAndListsTensors() {
        int last = TinyModels.clipVisionLayers() - 1;
        CliRunner.Result r = CliRunner.run("inspect", "--tensors", TinyModels.clipStateDict().toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("torch.save zip archive"), r.out());
        assertTrue(r.out().contains("visual.transformer.resblocks." + last + ".mlp.c_proj.weight"), r.out());
    }

    @Test
    void badFilesGiveOneLineAndExitCode2(@TempDir Path dir) throws IOException {
        Path truncated = dir.resolve("cut.pt");
        byte[] full = Files.readAllBytes(TinyModels.clipTorchScript());
        Files.write(truncated, Arrays.copyOf(full, full.length / 3));
        Path text = Files.writeString(dir.resolve("readme.pt"), "not weights");
        for (Path bad : new Path[] {dir.resolve("missing.pt"), truncated, text, dir}) {
            CliRunner.Result r = CliRunner.run("inspect", bad.toString());
            assertEquals(2, r.exit(), bad + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
            assertTrue(r.err().startsWith("clipsam: " + bad + ": "), r.err());
            assertFalse(r.err().contains("Exception"), "no stack trace without --verbose: " + r.err());
        }
    }

    @Test
    void aCheckpointOfAnotherModelIsRefused(@TempDir Path dir) throws IOException {
        Path other = dir.resolve("resnet.safetensors");
        try (PointerScope scope = new PointerScope()) {
            SafeTensorsWriter.write(other, Map.of("layer1.0.conv1.weight", Tensors.fromFloats(new float[9], 1, 1, 3, 3)),
                    Map.of());
        }
        CliRunner.Result r = CliRunner.run("inspect", other.toString());
        assertEquals(2, r.exit());
        assertTrue(r.out().contains("safetensors"), r.out());
        assertTrue(r.err().startsWith("clipsam: " + other + ": is a checkpoint, but not of a model clipsam knows"),
                r.err());
    }

    @Test
    void describesAClipsamHead(@TempDir Path dir) throws IOException {
        dev.clipsam.umci.HeadConfig config = new dev.clipsam.umci.HeadConfig(dev.clipsam.umci.HeadType.UMCI, 128, 32, 8,
                java.util.List.of(3, 5), java.util.List.of(2, 4), java.util.List.of(0.1, 0.7));
        dev.clipsam.umci.HeadDescription d = new dev.clipsam.umci.HeadDescription(config, 56,
                new dev.clipsam.umci.HeadDescription.ClipIdentity("clip.pt", "ab".repeat(32), "ViT-w128/14", 128, 32, 14,
                        "fp32", "quick_gelu"), "winclip", java.util.List.of("bottle"), 0.42,
                new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("epochs", 2));
        Path file = dir.resolve("head.safetensors");
        try (dev.clipsam.umci.AnomalyHead head = dev.clipsam.umci.AnomalyHead.create(config, 1)) {
            dev.clipsam.umci.HeadFile.save(file, head, d);
        }
        CliRunner.Result r = CliRunner.run("inspect", file.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("clipsam anomaly head (clipsam-head/1), umci"), r.out());
        assertTrue(r.out().contains("CLIP blocks [2, 4]"), r.out());
        assertTrue(r.out().contains("clip.pt (SHA-256 " + "ab".repeat(32) + ")"), r.out());
        assertTrue(r.out().contains("threshold    0.4200"), r.out());
        assertTrue(r.out().contains("classes      bottle"), r.out());
    }
}

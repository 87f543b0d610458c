package dev.clipsam.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipsam.io.SafeTensorsWriter;
import dev.clipsam.nn.Tensors;
import dev.clipsam.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {

    private static final Path MODEL = Fixtures.suite("clip").resolve("model");

    @Test
    void describesTheTorchScriptClip() {
        CliRunner.Result r = CliRunner.run("inspect", MODEL.resolve("tiny-clip-openai.pt").toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("TorchScript archive"), r.out());
        assertTrue(r.out().contains("float32: 35, float16: 51, int64: 3"), r.out());
        assertTrue(r.out().contains("width 128, layers 4, heads 2, patch 14, image 56 px (grid 4)"), r.out());
        assertTrue(r.out().contains("width 64, layers 2, heads 1, context 77, vocab 49408"), r.out());
        assertTrue(r.out().contains("embed dim  32"), r.out());
        assertTrue(r.out().contains("4,144,449 parameters"), r.out());
        assertTrue(r.out().matches("(?s).*missing\\s+none.*unexpected\\s+none.*"), r.out());
    }

    @Test
    void describesThePlainStateDictAndListsTensors() {
        CliRunner.Result r = CliRunner.run("inspect", "--tensors", MODEL.resolve("tiny-clip-state-dict.pt").toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("torch.save zip archive"), r.out());
        assertTrue(r.out().contains("visual.transformer.resblocks.3.mlp.c_proj.weight"), r.out());
    }

    @Test
    void badFilesGiveOneLineAndExitCode2(@TempDir Path dir) throws IOException {
        Path truncated = dir.resolve("cut.pt");
        byte[] full = Files.readAllBytes(MODEL.resolve("tiny-clip-openai.pt"));
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
}

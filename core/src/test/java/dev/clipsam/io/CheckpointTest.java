package dev.clipsam.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.clipsam.nn.Tensors;
import dev.clipsam.testing.Fixtures;
import dev.clipsam.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/** The reader against {@code clip/model/archive_layout.json}: every tensor's name, layout, bytes and values. */
class CheckpointTest {

    private static final Path MODEL = Fixtures.suite("clip").resolve("model");

    @TestFactory
    Stream<DynamicTest> everyTensorOfEveryArchiveMatchesTheLayout() {
        JsonNode layout = Fixtures.json(MODEL.resolve("archive_layout.json"));
        List<DynamicTest> tests = new ArrayList<>();
        layout.fields().forEachRemaining(file -> tests.add(DynamicTest.dynamicTest(file.getKey(),
                () -> checkArchive(MODEL.resolve(file.getKey()), file.getValue()))));
        return tests.stream();
    }

    private static void checkArchive(Path file, JsonNode expected) throws Exception {
        try (Checkpoint ckpt = Checkpoint.open(file); PointerScope scope = new PointerScope()) {
            boolean script = expected.path("module_types").size() > 0;
            assertEquals(script ? Checkpoint.Format.TORCHSCRIPT : Checkpoint.Format.TORCH_ZIP, ckpt.format());
            JsonNode tensors = expected.path("tensors");
            assertEquals(tensors.size(), ckpt.tensors().size(), "tensor count");
            for (int i = 0; i < tensors.size(); i++) {
                JsonNode t = tensors.get(i);
                String name = t.path("name").asText();
                TensorInfo info = ckpt.tensors().get(i);
                assertEquals(name, info.name(), "order of tensors");
                assertEquals(t.path("dtype").asText(), info.dtype().displayName(), name);
                assertArrayEquals(longs(t.path("shape")), info.shape(), name);
                assertArrayEquals(longs(t.path("stride")), info.stride(), name);
                assertEquals(t.path("storage_key").asText(), info.storageKey(), name);
                String sha = HexFormat.of().formatHex(
                        MessageDigest.getInstance("SHA-256").digest(ckpt.storageBytes(info.storageKey())));
                assertEquals(t.path("sha256_of_entry").asText(), sha, name + " entry bytes");
                if (!info.dtype().isFloatingPoint()) {
                    continue;
                }
                Tensor loaded = ckpt.load(name, ScalarType.Float);
                assertArrayEquals(info.shape(), Tensors.shape(loaded), name);
                float[] values = Tensors.toFloats(loaded);
                double sum = 0;
                for (float v : values) {
                    sum += v;
                }
                assertEquals(t.path("sum_float64").asDouble(), sum, 1e-9 * Math.max(1, values.length), name + " sum");
                JsonNode first = t.path("first_values");
                for (int k = 0; k < first.size(); k++) {
                    assertEquals((float) first.get(k).asDouble(), values[k], name + " value " + k);
                }
            }
        }
    }

    @Test
    void bothFormatsHoldTheSameWeights() {
        try (Checkpoint script = Checkpoint.open(TinyModels.clipTorchScript());
                Checkpoint plain = Checkpoint.open(TinyModels.clipStateDict());
                PointerScope scope = new PointerScope()) {
            for (TensorInfo t : plain.tensors()) {
                float[] a = Tensors.toFloats(plain.load(t.name()));
                float[] b = Tensors.toFloats(script.load(t.name(), ScalarType.Float));
                assertArrayEquals(a, b, t.name());
            }
        }
    }

    @Test
    void missingEmptyAndForeignFilesGiveOneLineReasons(@TempDir Path dir) throws IOException {
        CheckpointException missing = assertThrows(CheckpointException.class,
                () -> Checkpoint.open(dir.resolve("nope.pt")));
        assertEquals(dir.resolve("nope.pt") + ": file not found", missing.getMessage());

        Path empty = Files.createFile(dir.resolve("empty.pt"));
        assertEquals(empty + ": is empty",
                assertThrows(CheckpointException.class, () -> Checkpoint.open(empty)).getMessage());

        Path text = Files.writeString(dir.resolve("notes.pt"), "just some text, certainly not weights");
        assertTrue(assertThrows(CheckpointException.class, () -> Checkpoint.open(text)).getMessage()
                .startsWith(text + ": is not a checkpoint"));

        assertTrue(assertThrows(CheckpointException.class, () -> Checkpoint.open(dir)).getMessage()
                .endsWith("is a directory, not a checkpoint file"));
    }

    @Test
    void truncatedArchivesAreRecognised(@TempDir Path dir) throws IOException {
        byte[] full = Files.readAllBytes(TinyModels.clipStateDict());
        for (int keep : new int[] {full.length / 2, full.length - 100, 64}) {
            Path cut = dir.resolve("cut-" + keep + ".pt");
            Files.write(cut, java.util.Arrays.copyOf(full, keep));
            CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(cut));
            assertTrue(e.getMessage().startsWith(cut + ": "), e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        }
    }

    private static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }
}

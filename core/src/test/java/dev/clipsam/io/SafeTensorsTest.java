package dev.clipsam.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipsam.nn.Tensors;
import dev.clipsam.testing.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {

    @Test
    void roundTripKeepsNamesDtypesShapesValuesAndMetadata(@TempDir Path dir) throws Exception {
        Path source = TinyModels.clipTorchScript();
        Path target = dir.resolve("tiny-clip.safetensors");
        try (Checkpoint ckpt = Checkpoint.open(source); PointerScope scope = new PointerScope()) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (TensorInfo t : ckpt.tensors()) {
                tensors.put(t.name(), ckpt.load(t.name()));
            }
            SafeTensorsWriter.write(target, tensors, Map.of("format", "pt", "note", "round trip"));
            try (Checkpoint back = Checkpoint.open(target)) {
                assertEquals(Checkpoint.Format.SAFETENSORS, back.format());
                assertEquals(Map.of("format", "pt", "note", "round trip"), back.metadata());
                assertEquals(ckpt.tensors().size(), back.tensors().size());
                for (TensorInfo t : ckpt.tensors()) {
                    TensorInfo b = back.info(t.name());
                    assertEquals(t.dtype(), b.dtype(), t.name());
                    assertArrayEquals(t.shape(), b.shape(), t.name());
                    assertArrayEquals(Tensors.toFloats(tensors.get(t.name())), Tensors.toFloats(back.load(t.name())),
                            t.name());
                }
            }
        }
        try (var files = Files.list(dir)) {
            assertTrue(files.allMatch(p -> p.equals(target)), "no temporary file left behind");
        }
    }
}

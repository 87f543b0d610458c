package dev.clipsam.umci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** A head's description: round trip, and every missing or out-of-range field refused by name. */
class HeadDescriptionTest {

    private static HeadDescription sample() {
        HeadConfig config = new HeadConfig(HeadType.UMCI, 128, 32, 16, List.of(3, 5), List.of(2, 4), List.of(0.1, 0.7));
        HeadDescription.ClipIdentity clip = new HeadDescription.ClipIdentity("clip.pt", "ab".repeat(32), "ViT-w128/14",
                128, 32, 14, "fp32", "quick_gelu");
        return new HeadDescription(config, 56, clip, "winclip", List.of("bottle", "cable"), 0.42,
                new ObjectMapper().createObjectNode().put("epochs", 2));
    }

    private static IllegalArgumentException refused(Consumer<ObjectNode> edit) {
        ObjectNode json = sample().toJson();
        edit.accept(json);
        return assertThrows(IllegalArgumentException.class, () -> HeadDescription.parse(json));
    }

    @Test
    void roundTrips() {
        HeadDescription d = sample();
        assertEquals(d, HeadDescription.parse(d.toJson()));
        assertEquals(HeadFile.FORMAT, d.toJson().path("format").asText());
    }

    @Test
    void missingOrBadFieldsAreNamed() {
        assertTrue(refused(j -> j.remove("image_size")).getMessage().contains("image_size"));
        assertTrue(refused(j -> j.remove("threshold")).getMessage().contains("threshold"));
        assertTrue(refused(j -> j.put("threshold", 2.0)).getMessage().contains("threshold 2.0 is not in [0, 1]"));
        assertTrue(refused(j -> j.put("threshold", "high")).getMessage().contains("threshold"));
        assertTrue(refused(j -> j.put("image_size", 57)).getMessage().contains("not a multiple of the CLIP patch 14"));
        assertTrue(refused(j -> j.put("format", "other/1")).getMessage().contains("format"));
        assertTrue(refused(j -> j.remove("clip")).getMessage().contains("clip"));
        assertTrue(refused(j -> ((ObjectNode) j.path("head")).remove("stages")).getMessage().contains("stages"));
        assertTrue(refused(j -> ((ObjectNode) j.path("clip")).put("width", 64)).getMessage().contains("width"));
    }

    @Test
    void checksTheClipItRunsOn() {
        HeadDescription d = sample();
        assertNull(d.mismatch("ab".repeat(32), 4, 14));
        assertTrue(d.mismatch("cd".repeat(32), 4, 14).startsWith("was trained on CLIP clip.pt"));
        assertEquals("reads CLIP block 4, but the CLIP has blocks 1..3", d.mismatch("ab".repeat(32), 3, 14));
        assertTrue(d.mismatch("ab".repeat(32), 4, 16).contains("not a multiple of the CLIP patch 16"));
    }

    @Test
    void aHeadWithNonFiniteWeightsIsRefusedNamingTheTensor(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws java.io.IOException {
        HeadDescription d = sample();
        java.nio.file.Path file = dir.resolve("nan.safetensors");
        String broken;
        try (AnomalyHead head = AnomalyHead.create(d.config(), 1)) {
            java.util.Map.Entry<String, org.bytedeco.pytorch.Tensor> first = head.parameters().entrySet().iterator()
                    .next();
            broken = first.getKey();
            try (org.bytedeco.pytorch.NoGradGuard guard = new org.bytedeco.pytorch.NoGradGuard()) {
                first.getValue().fill_(new org.bytedeco.pytorch.Scalar(Double.NaN));
            }
            HeadFile.save(file, head, d);
        }
        dev.clipsam.io.CheckpointException e = assertThrows(dev.clipsam.io.CheckpointException.class,
                () -> HeadFile.load(file).close());
        assertEquals(file + ": tensor " + broken + " holds NaN or infinite values", e.getMessage());
    }
}

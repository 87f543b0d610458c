package dev.clipsam.sam;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.clipsam.io.Checkpoint;
import dev.clipsam.io.CheckpointException;
import dev.clipsam.io.RandomWeights;
import dev.clipsam.io.TensorInfo;
import dev.clipsam.nn.Precision;
import dev.clipsam.nn.Tensors;
import dev.clipsam.testing.Close;
import dev.clipsam.image.Image8;
import dev.clipsam.testing.Fixtures;
import dev.clipsam.testing.TinyModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The SAM loader and architecture registry against {@code sam/model/*.json}, and the attention routes. */
class SamModelTest {

    private static final Path MODEL = Fixtures.suite("sam").resolve("model");

    @Test
    void theTinyCheckpointMatchesItsConfigKeyByKey() {
        JsonNode config = Fixtures.json(MODEL.resolve("model_config.json"));
        try (Checkpoint ckpt = Checkpoint.open(TinyModels.samCheckpoint()); PointerScope scope = new PointerScope()) {
            JsonNode sd = config.path("state_dict");
            assertEquals(sd.size(), ckpt.tensors().size());
            for (int i = 0; i < sd.size(); i++) {
                JsonNode e = sd.get(i);
                TensorInfo t = ckpt.tensors().get(i);
                assertEquals(e.path("key").asText(), t.name(), "state_dict order");
                assertArrayEquals(longs(e.path("shape")), t.shape(), t.name());
                assertEquals(e.path("storage").asText(), t.storageKey(), t.name());
                float[] values = Tensors.toFloats(ckpt.load(t.name()));
                for (int k = 0; k < e.path("first_values").size(); k++) {
                    assertEquals((float) e.path("first_values").get(k).asDouble(), values[k], t.name());
                }
            }
            SamConfig inferred = SamConfig.infer(ckpt);
            JsonNode encoder = config.path("image_encoder");
            List<Integer> global = new ArrayList<>();
            encoder.path("global_attn_indexes").forEach(g -> global.add(g.asInt()));
            assertEquals(new SamConfig(encoder.path("embed_dim").asInt(), encoder.path("depth").asInt(),
                    encoder.path("num_heads").asInt(), global), inferred);
            assertTrue(SamModel.checkKeys(inferred, ckpt).loadable());
            assertEquals(config.path("num_parameters_and_buffers").asLong(), inferred.parameterCount());
        }
    }

    @Test
    void theThreeOfficialVariantsHaveExactlyTheReferenceKeysAndShapes() {
        JsonNode models = Fixtures.json(TinyModels.optional(MODEL.resolve("official_configs.json"))).path("models");
        Map<String, SamConfig> ours = Map.of("vit_b", SamConfig.VIT_B, "vit_l", SamConfig.VIT_L, "vit_h", SamConfig.VIT_H);
        for (Iterator<Map.Entry<String, JsonNode>> it = models.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> m = it.next();
            SamConfig config = ours.get(m.getKey());
            JsonNode ref = m.getValue();
            assertEquals(ref.path("encoder_embed_dim").asInt(), config.encoderEmbedDim(), m.getKey());
            assertEquals(ref.path("head_dim").asInt(), config.headDim(), m.getKey());
            Map<String, long[]> shapes = config.stateDictShapes();
            JsonNode refShapes = ref.path("state_dict_shapes");
            assertEquals(refShapes.size(), shapes.size(), m.getKey() + " tensor count");
            refShapes.fields().forEachRemaining(e -> assertArrayEquals(longs(e.getValue()), shapes.get(e.getKey()),
                    m.getKey() + " " + e.getKey()));
            assertEquals(ref.path("num_parameters_and_buffers").asLong(), config.parameterCount(), m.getKey());
            assertEquals(config, SamConfig.infer(new RandomWeights(shapes, 1)), m.getKey() + " inferred back");
            assertEquals(m.getKey(), config.name());
        }
    }

    @Test
    void aClipCheckpointIsNotTakenForSam() {
        Path clip = TinyModels.clipStateDict();
        CheckpointException e = assertThrows(CheckpointException.class, () -> SamModel.load(clip));
        assertTrue(e.getMessage().startsWith(clip + ": is not a Segment Anything checkpoint"), e.getMessage());
    }

    @Test
    void slicedAttentionEqualsTheWholeMatrix() {
        // A global block's scores are evaluated in slices of query rows; the result must equal one whole-matrix
        // evaluation of softmax(q·s kᵀ + rel_h + rel_w) v.
        try (PointerScope scope = new PointerScope()) {
            long n = 2;
            long side = 64;
            long hw = side * side;
            Tensor q = torch.randn(n, hw, 32);
            Tensor k = torch.randn(n, hw, 32);
            Tensor v = torch.randn(n, hw, 32);
            Tensor relH = torch.randn(n, hw, side);
            Tensor relW = torch.randn(n, hw, side);
            double scale = Math.pow(32, -0.5);
            Tensor bias = relH.unsqueeze(-1).add(relW.unsqueeze(-2)).view(n, hw, hw);
            Tensor whole = torch.softmax(q.mul(new org.bytedeco.pytorch.Scalar(scale)).bmm(k.transpose(1, 2)).add(bias),
                    -1).bmm(v);
            Close.assertClose(Tensors.toFloats(whole),
                    Tensors.toFloats(RelPosAttention.attend(q, k, v, relH, relW, scale, side, side)), 1e-5,
                    "sliced vs whole");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"BF16", "INT8"})
    void encoderDeviationIsMeasured(Precision precision) {
        Path checkpoint = TinyModels.samCheckpoint();
        try (SamModel fp32 = SamModel.load(checkpoint); SamModel bf16 = SamModel.load(checkpoint, precision);
                PointerScope scope = new PointerScope()) {
            // A smooth synthetic part, preprocessed as SAM does (no fixture image needed).
            int w = 200;
            int h = 150;
            byte[] rgb = new byte[w * h * 3];
            for (int i = 0; i < w * h; i++) {
                int y = i / w;
                int x0 = i % w;
                rgb[3 * i] = (byte) (60 + x0 / 2);
                rgb[3 * i + 1] = (byte) (40 + y);
                rgb[3 * i + 2] = (byte) ((x0 - 100) * (x0 - 100) + (y - 75) * (y - 75) < 1600 ? 220 : 90);
            }
            Tensor x = SamModel.preprocess(new ResizeLongestSide(1024).applyImage(new Image8(w, h, 3, rgb)));
            double err = Close.relativeL2(Tensors.toFloats(fp32.imageEncoder().forward(x)),
                    Tensors.toFloats(bf16.imageEncoder().forward(x)));
            String name = precision.name().toLowerCase(java.util.Locale.ROOT);
            System.out.printf("%s vs fp32, tiny SAM image embedding: relative L2 %.2e%n", name, err);
            assertTrue(err > 1e-5 && err < 3e-2, name + " deviation " + err);
        }
    }

    private static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }

    static String shape(long[] s) {
        return Arrays.toString(s);
    }
}

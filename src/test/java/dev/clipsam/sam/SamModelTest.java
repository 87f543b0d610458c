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
import dev.clipsam.testing.Fixtures;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/** The SAM loader and architecture registry against {@code sam/model/*.json}, and the attention routes. */
class SamModelTest {

    private static final Path MODEL = Fixtures.suite("sam").resolve("model");

    @Test
    void theTinyCheckpointMatchesItsConfigKeyByKey() {
        JsonNode config = Fixtures.json(MODEL.resolve("model_config.json"));
        try (Checkpoint ckpt = Checkpoint.open(MODEL.resolve("tiny-sam.pth")); PointerScope scope = new PointerScope()) {
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
            assertEquals(new SamConfig(64, 4, 2, List.of(1, 3)), inferred);
            assertTrue(SamModel.checkKeys(inferred, ckpt).loadable());
            assertEquals(config.path("num_parameters_and_buffers").asLong(), inferred.parameterCount());
        }
    }

    @Test
    void theThreeOfficialVariantsHaveExactlyTheReferenceKeysAndShapes() {
        JsonNode models = Fixtures.json(MODEL.resolve("official_configs.json")).path("models");
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
        Path clip = Fixtures.root().resolve("clip/model/tiny-clip-state-dict.pt");
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

    @Test
    void bf16EncoderDeviationIsMeasured() {
        JsonNode json = Fixtures.json(Fixtures.suite("sam").resolve("image_embedding_150x200/case.json"));
        Path input = Fixtures.suite("sam").resolve("preprocess_150x200/input_tensor.npy");
        try (SamModel fp32 = SamModel.load(MODEL.resolve("tiny-sam.pth"));
                SamModel bf16 = SamModel.load(MODEL.resolve("tiny-sam.pth"), Precision.BF16);
                PointerScope scope = new PointerScope()) {
            Tensor x = Fixtures.npy(input).toTensor();
            float[] a = Tensors.toFloats(fp32.imageEncoder().forward(x));
            float[] b = Tensors.toFloats(bf16.imageEncoder().forward(x));
            double d = 0;
            double r = 0;
            for (int i = 0; i < a.length; i++) {
                d += Math.pow(a[i] - b[i], 2);
                r += Math.pow(a[i], 2);
            }
            double err = Math.sqrt(d / r);
            System.out.printf("bf16 vs fp32, tiny SAM image embedding: relative L2 %.2e%n", err);
            assertTrue(err > 1e-5 && err < 3e-2, "bf16 deviation " + err);
            assertEquals("sam.image_embedding", json.path("kind").asText());
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

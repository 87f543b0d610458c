package dev.clipsam.sam;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.clipsam.image.Image8;
import dev.clipsam.image.ImageFiles;
import dev.clipsam.io.Npy;
import dev.clipsam.nn.Tensors;
import dev.clipsam.testing.Close;
import dev.clipsam.testing.Fixtures;
import dev.clipsam.testing.Images;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.ThrowingConsumer;

/** Every case folder under {@code $CLIPSAM_FIXTURES/sam}, one test each, checked against its {@code case.json}. */
class SamParityTest {

    private static final Map<String, ThrowingConsumer<Path>> CHECKS = Map.of(
            "sam.preprocess", SamParityTest::preprocess,
            "sam.image_embedding", SamParityTest::imageEmbedding,
            "sam.predict", dir -> predict(dir, false),
            "sam.predict_torch", dir -> predict(dir, true),
            "sam.postprocess_masks", SamParityTest::postprocess);

    private static final Map<Path, SamModel> MODELS = new HashMap<>();

    @TestFactory
    Stream<DynamicTest> everySamCase() {
        return Fixtures.suiteTests("sam", "kind", CHECKS);
    }

    @AfterAll
    static void closeModels() {
        MODELS.values().forEach(SamModel::close);
        MODELS.clear();
    }

    static synchronized SamModel model(Path dir, JsonNode json) {
        Path file = dir.resolve(json.path("model").path("checkpoint").asText()).normalize();
        return MODELS.computeIfAbsent(file, SamModel::load);
    }

    private static Npy array(Path dir, JsonNode entry) {
        return Fixtures.npy(dir.resolve(entry.path("file").asText()));
    }

    private static double atol(JsonNode entry) {
        JsonNode t = entry.path("tolerance");
        assertEquals(0.0, t.path("rtol").asDouble(0.0), "rtol is 0 in every case");
        return t.path("atol").asDouble();
    }

    /** Compares an output or debug entry by its own tolerance. */
    private static void check(Path dir, String name, JsonNode entry, Tensor actual) {
        Close.assertClose(array(dir, entry), actual, atol(entry), name);
    }

    static void preprocess(Path dir) {
        JsonNode json = Fixtures.json(dir.resolve("case.json"));
        JsonNode inputs = json.path("inputs");
        JsonNode outputs = json.path("outputs");
        Image8 image = Images.fromNpy(array(dir, inputs.path("image")));
        assertArrayEquals(image.data(), ImageFiles.read(dir.resolve(inputs.path("image_png").path("file").asText())).data(),
                "the PNG decodes to the stored pixels");
        ResizeLongestSide transform = new ResizeLongestSide(json.path("parameters").path("target_length").asInt());
        int[] inputSize = transform.preprocessShape(image.height(), image.width());
        assertArrayEquals(ints(json.path("parameters").path("input_size")), inputSize, "input size");
        Image8 resized = transform.applyImage(image);
        assertArrayEquals(array(dir, outputs.path("resized")).bytes(), resized.data(), "resized (exact)");
        if (outputs.has("input_tensor") && dir.resolve(outputs.path("input_tensor").path("file").asText()).toFile().exists()) {
            try (PointerScope scope = new PointerScope()) {
                check(dir, "input_tensor", outputs.path("input_tensor"), SamModel.preprocess(resized));
            }
        }
    }

    static void imageEmbedding(Path dir) {
        JsonNode json = Fixtures.json(dir.resolve("case.json"));
        SamModel model = model(dir, json);
        JsonNode inputs = json.path("inputs");
        JsonNode debug = json.path("debug");
        Image8 image = Images.fromNpy(array(dir, inputs.path("image")));
        try (PointerScope scope = new PointerScope(); SamPredictor predictor = new SamPredictor(model)) {
            Map<Integer, Tensor> trace = new HashMap<>();
            // The encoder input: the case's shortcut file where the root has it, else preprocessed here.
            Path shortcut = inputs.has("input_tensor") ? dir.resolve(inputs.path("input_tensor").path("file").asText())
                    : null;
            Tensor input = shortcut != null && Files.exists(shortcut) ? Fixtures.npy(shortcut).toTensor()
                    : SamModel.preprocess(new ResizeLongestSide(imageSize(dir, json)).applyImage(image));
            Tensor embedding = model.imageEncoder().forward(input, trace::put);
            checkIfPresent(dir, debug, "after_patch_embed_pos", trace.get(-1));
            for (int i = 0; i < model.config().encoderDepth(); i++) {
                checkIfPresent(dir, debug, "after_block_" + i, trace.get(i));
            }
            check(dir, "embedding (from the encoder input)", json.path("outputs").path("embedding"), embedding);
            predictor.setImage(image);
            check(dir, "embedding (set_image)", json.path("outputs").path("embedding"), predictor.embedding());
        }
    }

    /** The model's input size (SAM's img_size), from the model config the case names. */
    private static int imageSize(Path dir, JsonNode json) {
        Path config = dir.resolve(json.path("model").path("config").asText("../model/model_config.json"));
        return Fixtures.json(config).path("image_encoder").path("img_size").asInt(1024);
    }

    /** A debug entry is checked when the case has it; no entry is required. */
    private static void checkIfPresent(Path dir, JsonNode debug, String name, Tensor actual) {
        if (debug.has(name)) {
            check(dir, name, debug.path(name), actual);
        }
    }

    private static boolean absent(JsonNode node) {
        return node.isMissingNode() || node.isNull();
    }

    static void predict(Path dir, boolean batched) {
        JsonNode json = Fixtures.json(dir.resolve("case.json"));
        JsonNode in = json.path("inputs");
        JsonNode params = json.path("parameters");
        JsonNode out = json.path("outputs");
        JsonNode debug = json.path("debug");
        boolean multimask = params.path("multimask_output").asBoolean();
        int[] original = ints(params.path("original_size"));
        SamModel model = model(dir, json);
        try (PointerScope scope = new PointerScope(); SamPredictor predictor = new SamPredictor(model)) {
            predictor.setEmbedding(array(dir, in.path("image_embedding")).toTensor(), original[0], original[1]);
            List<SamPrompt> prompts = new ArrayList<>();
            if (batched) {
                for (JsonNode box : in.path("boxes")) {
                    prompts.add(new SamPrompt(null, null, doubles(box), null));
                }
            } else {
                double[] points = absent(in.path("point_coords")) ? null : flatten(in.path("point_coords"));
                int[] labels = absent(in.path("point_labels")) ? null : ints(in.path("point_labels"));
                double[] box = absent(in.path("box")) ? null : doubles(in.path("box"));
                Tensor mask = absent(in.path("mask_input")) ? null : array(dir, in.path("mask_input")).toTensor();
                prompts.add(new SamPrompt(points, labels, box, mask));
            }
            SamPrediction p = predictor.predictBatch(prompts, multimask);
            Tensor logits = batched ? p.logits() : p.logits().squeeze(0);
            Tensor scores = batched ? p.scores() : p.scores().squeeze(0);
            Tensor lowRes = batched ? p.lowResLogits() : p.lowResLogits().squeeze(0);
            if (debug.has("sparse_embeddings")) {
                check(dir, "sparse_embeddings", debug.path("sparse_embeddings"),
                        sparse(model, predictor, prompts, imageSize(dir, json)));
            }
            checkIfPresent(dir, debug, "decoder_tokens_out", p.decoder().tokens());
            checkIfPresent(dir, debug, "hyper_in", p.decoder().hyperIn());
            checkIfPresent(dir, debug, "iou_all4", p.decoder().iouAll());
            check(dir, "scores", out.path("scores"), scores);
            check(dir, "low_res_logits", out.path("low_res_logits"), lowRes);
            check(dir, "logits", out.path("logits"), logits);
            assertMaskRule(dir, out.path("masks"), p.masks().reshape(Tensors.shape(logits)));
        }
    }

    /** The sparse prompt embeddings of the same prompts (prompt encoder alone). */
    private static Tensor sparse(SamModel model, SamPredictor predictor, List<SamPrompt> prompts, int imageSize) {
        ResizeLongestSide t = new ResizeLongestSide(imageSize);
        int h = predictor.originalHeight();
        int w = predictor.originalWidth();
        int b = prompts.size();
        SamPrompt first = prompts.get(0);
        Tensor points = null;
        Tensor labels = null;
        if (first.pointCount() > 0) {
            float[] xy = new float[0];
            long[] lab = new long[0];
            for (SamPrompt p : prompts) {
                xy = concat(xy, t.applyCoords(p.points(), h, w));
                long[] l = new long[p.pointCount()];
                for (int i = 0; i < l.length; i++) {
                    l[i] = p.labels()[i];
                }
                lab = java.util.stream.LongStream.concat(java.util.Arrays.stream(lab), java.util.Arrays.stream(l)).toArray();
            }
            points = Tensors.fromFloats(xy, b, first.pointCount(), 2);
            labels = Tensors.fromLongs(lab, b, first.pointCount());
        }
        Tensor boxes = null;
        if (first.box() != null) {
            float[] all = new float[0];
            for (SamPrompt p : prompts) {
                all = concat(all, t.applyBoxes(p.box(), h, w));
            }
            boxes = Tensors.fromFloats(all, b, 4);
        }
        return model.promptEncoder().sparse(points, labels, boxes);
    }

    /** Masks must equal the reference wherever the reference logit is at least {@code margin} away from 0. */
    private static void assertMaskRule(Path dir, JsonNode entry, Tensor actual) {
        JsonNode rule = entry.path("tolerance").path("mask_rule");
        double margin = rule.path("margin").asDouble();
        byte[] expected = array(dir, entry).bytes();
        float[] logits = Fixtures.npy(dir.resolve(rule.path("logits").asText())).floats();
        float[] got = Tensors.toFloats(actual);
        assertEquals(expected.length, got.length, "mask size");
        int wrong = 0;
        int ambiguous = 0;
        for (int i = 0; i < expected.length; i++) {
            if (Math.abs(logits[i]) < margin) {
                ambiguous++;
            } else if ((expected[i] != 0) != (got[i] != 0)) {
                wrong++;
            }
        }
        assertEquals(0, wrong, "mask pixels differing outside the margin (" + ambiguous + " pixels within it)");
    }

    static void postprocess(Path dir) {
        JsonNode json = Fixtures.json(dir.resolve("case.json"));
        int[] input = ints(json.path("parameters").path("input_size"));
        int[] original = ints(json.path("parameters").path("original_size"));
        try (PointerScope scope = new PointerScope()) {
            Tensor lowRes = array(dir, json.path("inputs").path("low_res_logits")).toTensor();
            check(dir, "masks", json.path("outputs").path("masks"),
                    SamModel.postprocessMasks(lowRes, input[0], input[1], original[0], original[1]));
        }
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }

    private static double[] flatten(JsonNode pairs) {
        List<Double> out = new ArrayList<>();
        pairs.forEach(p -> p.forEach(v -> out.add(v.asDouble())));
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

}

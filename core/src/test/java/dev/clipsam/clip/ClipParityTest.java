package dev.clipsam.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.clipsam.image.Image8;
import dev.clipsam.io.Npy;
import dev.clipsam.nn.Activation;
import dev.clipsam.nn.Precision;
import dev.clipsam.nn.Tensors;
import dev.clipsam.testing.Close;
import dev.clipsam.image.ImageFiles;
import dev.clipsam.testing.Fixtures;
import dev.clipsam.testing.Images;
import dev.clipsam.testing.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.ThrowingConsumer;

/**
 * Every case folder under {@code $CLIPSAM_FIXTURES/clip}, one test each, checked against its {@code case.json}.
 */
class ClipParityTest {

    private static final Map<String, ThrowingConsumer<Path>> CHECKS = Map.of(
            "tokenizer", ClipParityTest::tokenizer,
            "preprocess", ClipParityTest::preprocess,
            "pos_embed_resize", ClipParityTest::posEmbedResize,
            "vision_tokens_quickgelu", dir -> visionTokens(dir, Activation.QUICK_GELU),
            "vision_tokens_gelu", dir -> visionTokens(dir, Activation.GELU),
            "text_features", ClipParityTest::textFeatures,
            "prompt_ensemble", ClipParityTest::promptEnsemble,
            "forward_logits", ClipParityTest::forwardLogits);

    /** Every file of the tiny model (the OpenAI-style TorchScript archive and the plain state dict). */
    private static final List<String> MODEL_FILES = TinyModels.clipFiles().stream()
            .map(f -> f.getFileName().toString()).toList();
    private static final Map<String, ClipModel> MODELS = new ConcurrentHashMap<>();

    private static ClipModel model(String file, Activation activation) {
        return MODELS.computeIfAbsent(file + "/" + activation, k -> ClipModel.load(
                Fixtures.suite("clip").resolve("model").resolve(file), new ClipModel.Options(Precision.FP32, activation)));
    }

    @AfterAll
    static void closeModels() {
        MODELS.values().forEach(ClipModel::close);
        MODELS.clear();
    }

    /** The CLIP fixtures' rule for model outputs: 5e-5 · max|ref| + 1e-6 per array. */
    private static void assertModelClose(Path dir, String file, Tensor actual, String what) {
        Close.assertCloseScaled(Fixtures.npy(dir.resolve(file)), actual, 5e-5, 1e-6, what + " " + file);
    }

    /** Every resize pair of the case: the tiny model's grid and each synthetic pair, file names from {@code arrays}. */
    static void posEmbedResize(Path dir) {
        JsonNode json = Fixtures.json(dir.resolve("case.json"));
        JsonNode arrays = json.path("arrays");
        List<int[]> pairs = new ArrayList<>();
        List<String> stems = new ArrayList<>();
        pairs.add(new int[] {json.path("grids").path("tiny_from").asInt(), json.path("grids").path("tiny_to").asInt()});
        stems.add("tiny_pos");
        for (JsonNode synthetic : json.path("synthetic")) {
            int from = synthetic.path("from_grid").asInt();
            int to = synthetic.path("to_grid").asInt();
            pairs.add(new int[] {from, to});
            stems.add("synthetic_" + from + "to" + to + "_pos");
        }
        assertTrue(pairs.size() >= 2, "the case names the tiny pair and at least one synthetic pair");
        for (int i = 0; i < pairs.size(); i++) {
            int from = pairs.get(i)[0];
            int to = pairs.get(i)[1];
            String stem = stems.get(i);
            assertTrue(arrays.has(stem + ".npy") && arrays.has(stem + "_resized.npy"), stem + " arrays listed");
            try (PointerScope scope = new PointerScope()) {
                Tensor input = Fixtures.npy(dir.resolve(stem + ".npy")).toTensor();
                assertEquals(1 + from * from, input.size(0), stem + " holds the class token and a " + from + "^2 grid");
                Tensor resized = PositionalEmbedding.resize(input, to, to);
                Close.assertClose(Fixtures.npy(dir.resolve(stem + "_resized.npy")), resized, 1e-5,
                        stem + " " + from + " -> " + to);
                String wrong = stem + "_resized_no_antialias_WRONG.npy";
                if (arrays.has(wrong)) {
                    assertTrue(Close.maxAbsDiff(Fixtures.npy(dir.resolve(wrong)).floats(), Tensors.toFloats(resized))
                            > 1e-3, "the non-antialiased resize must differ (the case's contrast " + wrong + ")");
                }
            }
        }
    }

    static void visionTokens(Path dir, Activation activation) {
        for (String file : MODEL_FILES) {
            ClipModel model = model(file, activation);
            VisionTransformer visual = model.visual();
            for (String size : inputSizes(dir)) {
                try (PointerScope scope = new PointerScope()) {
                    String what = file + " " + activation + " " + size;
                    Tensor input = Fixtures.npy(dir.resolve("input_" + size + ".npy")).toTensor();
                    int grid = (int) (input.size(2) / visual.patchSize());
                    if (Files.exists(dir.resolve("pos_embed_" + size + ".npy"))) {
                        Close.assertClose(Fixtures.npy(dir.resolve("pos_embed_" + size + ".npy")),
                                visual.positionalEmbedding(grid, grid), 1e-5, what + " positional embedding");
                    }
                    Tensor patches = visual.patchEmbed(input);
                    assertModelClose(dir, size + "_patch_embed.npy", patches, what);
                    assertModelClose(dir, size + "_tokens_pre_ln.npy", visual.tokens(patches, grid, grid), what);
                    Npy blocks = Fixtures.npy(dir.resolve(size + "_blocks.npy"));
                    long[] shape = blocks.shape();
                    int layers = (int) shape[0];
                    assertEquals(visual.layers(), layers, what + ": the case holds one array per block");
                    int[] all = IntStream.rangeClosed(1, layers).toArray();
                    VisionFeatures features = visual.forward(input, all);
                    float[] values = blocks.floats();
                    int per = (int) (shape[1] * shape[2] * shape[3]);
                    for (int k = 0; k < layers; k++) {
                        float[] expected = Arrays.copyOfRange(values, k * per, (k + 1) * per);
                        Close.assertClose(expected, Tensors.toFloats(features.block(k + 1)),
                                5e-5 * maxAbs(values) + 1e-6, what + " block " + (k + 1));
                    }
                    Tensor last = features.block(layers);
                    assertModelClose(dir, size + "_image_embedding.npy", visual.embedding(last), what);
                    assertModelClose(dir, size + "_image_embedding_normalized.npy",
                            ClipModel.normalize(visual.embedding(last)), what);
                    assertModelClose(dir, size + "_dense_proj.npy", visual.projectTokens(last), what);
                    assertEquals(grid * grid, features.patchTokens(layers).size(1), "patch tokens drop the class token");
                }
            }
        }
    }

    static void textFeatures(Path dir) {
        long[] ids = Fixtures.npy(dir.resolve("ids.npy")).longs();
        JsonNode sentences = Fixtures.json(dir.resolve("case.json")).path("sentences");
        long[] tokenized = new long[ids.length];
        for (int i = 0; i < sentences.size(); i++) {
            System.arraycopy(ClipTokenizer.openai().tokenize(sentences.get(i).asText()), 0, tokenized, i * 77, 77);
        }
        assertArrayEquals(ids, tokenized, "our tokenizer gives the case's ids");
        for (String file : MODEL_FILES) {
            try (PointerScope scope = new PointerScope()) {
                ClipModel model = model(file, Activation.QUICK_GELU);
                Tensor idTensor = Tensors.fromLongs(ids, sentences.size(), 77);
                Npy layers = Fixtures.npy(dir.resolve("quickgelu_residual_layers.npy"));
                int blocks = (int) layers.shape()[0] - 1;
                Map<Integer, Tensor> residual = model.text().residualStream(idTensor,
                        IntStream.rangeClosed(1, blocks).toArray());
                float[] all = layers.floats();
                int per = all.length / (blocks + 1);
                List<Tensor> stream = new ArrayList<>();
                stream.add(model.text().embed(idTensor));
                for (int k = 1; k <= blocks; k++) {
                    stream.add(residual.get(k));
                }
                for (int k = 0; k <= blocks; k++) {
                    float[] expected = Arrays.copyOfRange(all, k * per, (k + 1) * per);
                    Close.assertClose(expected, Tensors.toFloats(stream.get(k)), 5e-5 * maxAbs(expected) + 1e-6,
                            file + " residual layer " + k);
                }
                assertArrayEquals(Fixtures.npy(dir.resolve("eot_index.npy")).longs(),
                        Tensors.toLongs(idTensor.argmax(new LongOptional(-1), false)), "eot_index");
                Tensor eot = model.text().endOfText(residual.get(blocks), idTensor);
                assertModelClose(dir, "quickgelu_ln_final_eot.npy", eot, file);
                assertModelClose(dir, "quickgelu_features.npy", model.text().project(eot), file + " full length");
                Tensor features = model.encodeText(idTensor);
                assertModelClose(dir, "quickgelu_features.npy", features, file + " encode (cut after EOT)");
                assertModelClose(dir, "quickgelu_features_normalized.npy", ClipModel.normalize(features), file);
                Tensor gelu = model(file, Activation.GELU).encodeText(idTensor);
                assertModelClose(dir, "gelu_features.npy", gelu, file + " GELU");
                assertModelClose(dir, "gelu_features_normalized.npy", ClipModel.normalize(gelu), file + " GELU");
            }
        }
    }

    static void promptEnsemble(Path dir) {
        JsonNode json = Fixtures.json(dir.resolve("case.json"));
        PromptEnsemble ensemble = PromptEnsemble.winclip();
        assertEquals(strings(json.path("normal_states")), ensemble.normalStates());
        assertEquals(strings(json.path("abnormal_states")), ensemble.abnormalStates());
        assertEquals(strings(json.path("templates")), ensemble.templates());
        List<String> classes = strings(json.path("classes"));
        for (int c = 0; c < classes.size(); c++) {
            String cls = classes.get(c);
            List<String> sentences = new ArrayList<>(ensemble.sentences(ensemble.normalStates(), cls));
            sentences.addAll(ensemble.sentences(ensemble.abnormalStates(), cls));
            assertArrayEquals(Fixtures.npy(dir.resolve("ids_" + cls + ".npy")).longs(),
                    ClipTokenizer.openai().tokenize(sentences, 77), cls + " sentence ids");
            for (Activation activation : List.of(Activation.QUICK_GELU, Activation.GELU)) {
                String prefix = activation == Activation.GELU ? "gelu" : "quickgelu";
                float[] expectedAll = Fixtures.npy(dir.resolve(prefix + "_text_features.npy")).floats();
                int per = expectedAll.length / classes.size();
                float[] expected = Arrays.copyOfRange(expectedAll, c * per, (c + 1) * per);
                for (String file : MODEL_FILES) {
                    try (PointerScope scope = new PointerScope()) {
                        Tensor features = ensemble.encode(model(file, activation), cls);
                        Close.assertClose(expected, Tensors.toFloats(features), 5e-5,
                                file + " " + activation + " " + cls);
                    }
                }
            }
        }
    }

    static void forwardLogits(Path dir) {
        JsonNode json = Fixtures.json(dir.resolve("case.json"));
        for (String file : MODEL_FILES) {
            try (PointerScope scope = new PointerScope()) {
                ClipModel model = model(file, Activation.QUICK_GELU);
                Npy ids = Fixtures.npy(dir.resolve("ids.npy"));
                Tensor logits = model.logitsPerImage(Fixtures.npy(dir.resolve("images.npy")).toTensor(),
                        ids.toTensor());
                Close.assertClose(Fixtures.npy(dir.resolve("logits_per_image.npy")), logits, 1e-3, file);
                Close.assertClose(Fixtures.npy(dir.resolve("logits_per_text.npy")), logits.t().contiguous(), 1e-3, file);
                assertEquals(json.path("logit_scale_exp").asDouble(), model.logitScale(), 1e-4);
            }
        }
    }

    /** The input sizes of a vision case ({@code input_<size>.npy}), from its {@code arrays}. */
    private static List<String> inputSizes(Path dir) {
        List<String> sizes = new ArrayList<>();
        Fixtures.json(dir.resolve("case.json")).path("arrays").fieldNames().forEachRemaining(name -> {
            if (name.startsWith("input_") && name.endsWith(".npy")) {
                sizes.add(name.substring("input_".length(), name.length() - ".npy".length()));
            }
        });
        assertFalse(sizes.isEmpty(), "no input_<size>.npy in the case");
        return sizes;
    }

    private static double maxAbs(float[] values) {
        double m = 0;
        for (float v : values) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    @TestFactory
    Stream<DynamicTest> everyClipCase() {
        return Fixtures.suiteTests("clip", "case", CHECKS);
    }

    static void tokenizer(Path dir) {
        JsonNode json = Fixtures.json(dir.resolve("case.json"));
        long[] ids = Fixtures.npy(dir.resolve("ids.npy")).longs();
        ClipTokenizer tokenizer = ClipTokenizer.openai();
        assertEquals(49408, tokenizer.vocabSize());
        List<String> failures = new ArrayList<>();
        JsonNode sentences = json.path("sentences");
        for (JsonNode s : sentences) {
            int i = s.path("index").asInt();
            String text = s.path("text").asText();
            long[] expected = Arrays.copyOfRange(ids, i * 77, (i + 1) * 77);
            long[] actual = tokenizer.tokenize(text);
            if (!Arrays.equals(expected, actual)) {
                failures.add(i + " " + quoted(text) + "\n   cleaned  " + quoted(TextCleaner.clean(text)) + " expected "
                        + quoted(s.path("cleaned").asText()) + "\n   symbols " + tokenizer.symbols(text) + "\n   expected "
                        + s.path("bpe_tokens"));
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + sentences.size() + " sentences differ:\n"
                + String.join("\n", failures));
    }

    static void preprocess(Path dir) {
        JsonNode json = Fixtures.json(dir.resolve("case.json"));
        int checked = 0;
        int listed = 0;
        for (JsonNode image : json.path("images")) {
            listed += image.path("results").size();
            String name = image.path("name").asText();
            Image8 input = Images.fromNpy(Fixtures.npy(dir.resolve(name + ".npy")));
            assertArrayEquals(input.data(), ImageFiles.read(dir.resolve(name + ".png")).data(),
                    name + ".png decodes to the stored pixels");
            for (JsonNode r : image.path("results")) {
                int size = r.path("resolution").asInt();
                ClipPreprocess.Crop crop = switch (r.path("pipeline").asText()) {
                    case "openai_clip" -> ClipPreprocess.Crop.CENTER;
                    case "aprilgan_open_clip" -> ClipPreprocess.Crop.SQUASH;
                    default -> throw new AssertionError("unknown pipeline " + r.path("pipeline"));
                };
                String stem = name + "_" + r.path("pipeline").asText() + "_" + size;
                ClipPreprocess pre = new ClipPreprocess(size, crop);
                Image8 resized = pre.resize(input);
                assertArrayEquals(Fixtures.npy(dir.resolve(stem + "_resized.npy")).bytes(), resized.data(),
                        stem + " resized");
                Image8 rgb = pre.cropRgb(resized);
                assertArrayEquals(Fixtures.npy(dir.resolve(stem + "_cropped_rgb.npy")).bytes(), rgb.data(),
                        stem + " cropped");
                assertArrayEquals(Fixtures.npy(dir.resolve(stem + "_tensor.npy")).floats(),
                        ClipPreprocess.normalise(rgb), stem + " tensor (bit-exact)");
                checked++;
            }
        }
        assertTrue(checked > 0 && checked == listed, "every result of the case checked");
    }

    private static String quoted(String s) {
        StringBuilder out = new StringBuilder("\"");
        s.codePoints().forEach(c -> out.append(c < 0x20 || (c >= 0x7f && c < 0xa1) ? String.format("\\u%04x", c)
                : new String(Character.toChars(c))));
        return out.append('"').toString();
    }
}

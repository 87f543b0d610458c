package dev.clipsam.umci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.clipsam.io.Checkpoint;
import dev.clipsam.io.Npy;
import dev.clipsam.nn.Tensors;
import dev.clipsam.testing.Close;
import dev.clipsam.testing.Fixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.ThrowingConsumer;

/** Every case folder under {@code $CLIPSAM_FIXTURES/umci}, one test each; every size is read from the case. */
class UmciParityTest {

    private static final Map<String, ThrowingConsumer<Path>> CHECKS = Map.of(
            "umci_forward", UmciParityTest::umciForward,
            "head_forward", UmciParityTest::headForward,
            "loss", UmciParityTest::loss,
            "train_step", UmciParityTest::trainStep,
            "adamw", UmciParityTest::adamw);

    @TestFactory
    Stream<DynamicTest> everyUmciCase() {
        return Fixtures.suiteTests("umci", "kind", CHECKS);
    }

    static HeadConfig config(JsonNode c) {
        HeadType type = switch (c.path("variant").asText("full")) {
            case "full" -> HeadType.UMCI;
            case "strip_only" -> HeadType.STRIP;
            case "scale_only" -> HeadType.SCALE;
            case "linear" -> HeadType.LINEAR;
            default -> throw new AssertionError("variant " + c.path("variant"));
        };
        if (c.has("strip") && !c.path("variant").isTextual()) {
            boolean strip = c.path("strip").asBoolean();
            boolean scale = c.path("scale").asBoolean();
            type = strip && scale ? HeadType.UMCI : strip ? HeadType.STRIP : scale ? HeadType.SCALE : HeadType.LINEAR;
        }
        int stages = c.path("n_stages").asInt(1);
        List<Integer> blocks = new ArrayList<>();
        List<Double> weights = new ArrayList<>();
        for (int i = 0; i < stages; i++) {
            blocks.add(i + 1);
            weights.add(c.has("stage_weights") ? c.path("stage_weights").get(i).asDouble() : 1.0);
        }
        return new HeadConfig(type, c.path("C").asInt(), c.path("Ct").asInt(), c.path("c_h").asInt(1),
                List.of(c.path("s1").asInt(3), c.path("s2").asInt(5)), blocks, weights);
    }

    private static Tensor input(Path dir, JsonNode json, String name) {
        return Fixtures.npy(dir.resolve(json.path("inputs").path(name).path("file").asText())).toTensor();
    }

    private static void check(Path dir, String name, JsonNode entry, Tensor actual) {
        assertEquals(0.0, entry.path("rtol").asDouble(0.0));
        Close.assertClose(Fixtures.npy(dir.resolve(entry.path("file").asText())), actual, entry.path("atol").asDouble(),
                name);
    }

    static void umciForward(Path dir) {
        JsonNode json = Fixtures.json(dir.resolve("case.json"));
        HeadConfig config = config(json.path("config"));
        try (Checkpoint ckpt = Checkpoint.open(dir.resolve(json.path("weights").path("stage").path("file").asText()));
                ParamStore params = ParamStore.from(ckpt); PointerScope scope = new PointerScope()) {
            Umci stage = new Umci(params, "", config);
            assertEquals(List.of(), params.unused(), "every key of the file is a parameter");
            Map<String, Tensor> trace = new HashMap<>();
            stage.forward(input(dir, json, "P"), input(dir, json, "L"), trace);
            for (Iterator<Map.Entry<String, JsonNode>> it = json.path("outputs").fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                Tensor actual = trace.get(e.getKey());
                if (actual == null) {
                    fail("no trace for " + e.getKey());
                }
                check(dir, e.getKey(), e.getValue(), actual);
            }
        }
    }

    static void headForward(Path dir) {
        JsonNode json = Fixtures.json(dir.resolve("case.json"));
        HeadConfig config = config(json.path("config"));
        int size = json.path("config").path("image_size").get(0).asInt();
        try (Checkpoint ckpt = Checkpoint.open(dir.resolve(json.path("weights").path("head").path("file").asText()));
                AnomalyHead head = AnomalyHead.load(config, ckpt); PointerScope scope = new PointerScope()) {
            HeadOutput out = head.forward(stages(input(dir, json, "P")), input(dir, json, "L"), size);
            JsonNode o = json.path("outputs");
            check(dir, "logits", o.path("logits"), org.bytedeco.pytorch.global.torch.stack(
                    new org.bytedeco.pytorch.TensorVector(out.logits().toArray(new Tensor[0])), 0));
            check(dir, "logits_up", o.path("logits_up"), org.bytedeco.pytorch.global.torch.stack(
                    new org.bytedeco.pytorch.TensorVector(out.upsampled().toArray(new Tensor[0])), 0));
            check(dir, "probs", o.path("probs"), org.bytedeco.pytorch.global.torch.stack(
                    new org.bytedeco.pytorch.TensorVector(out.probs().toArray(new Tensor[0])), 0));
            check(dir, "rough", o.path("rough"), out.rough());
        }
    }

    /** {@code [n_stages, B, C, H, W]} to a list of per-stage tensors. */
    private static List<Tensor> stages(Tensor p) {
        List<Tensor> out = new ArrayList<>();
        for (int s = 0; s < p.size(0); s++) {
            out.add(p.select(0, s));
        }
        return out;
    }

    static void loss(Path dir) {
        JsonNode json = Fixtures.json(dir.resolve("case.json"));
        List<Double> weights = new ArrayList<>();
        json.path("config").path("stage_weights").forEach(w -> weights.add(w.asDouble()));
        try (PointerScope scope = new PointerScope()) {
            Tensor logits = input(dir, json, "logits").requires_grad_(true);
            List<Tensor> probs = new ArrayList<>();
            for (int s = 0; s < logits.size(0); s++) {
                probs.add(org.bytedeco.pytorch.global.torch.softmax(logits.select(0, s), 1));
            }
            check(dir, "probs (input check)", json.path("inputs").path("probs"),
                    org.bytedeco.pytorch.global.torch.stack(new org.bytedeco.pytorch.TensorVector(
                            probs.toArray(new Tensor[0])), 0));
            SegmentationLoss.Parts parts = SegmentationLoss.compute(probs, input(dir, json, "gt"), weights);
            JsonNode o = json.path("outputs");
            check(dir, "focal", o.path("focal"), stack(parts.focal()));
            check(dir, "dice", o.path("dice"), stack(parts.dice()));
            check(dir, "dice_per_sample", o.path("dice_per_sample"), stack(parts.dicePerSample()));
            check(dir, "stage", o.path("stage"), stack(parts.stage()));
            check(dir, "total", o.path("total"), parts.total().reshape(1));
            parts.total().backward();
            check(dir, "grad_logits", o.path("grad_logits"), logits.grad());
        }
    }

    private static Tensor stack(List<Tensor> list) {
        return org.bytedeco.pytorch.global.torch.stack(new org.bytedeco.pytorch.TensorVector(
                list.toArray(new Tensor[0])), 0);
    }

    static void trainStep(Path dir) {
        JsonNode json = Fixtures.json(dir.resolve("case.json"));
        JsonNode c = json.path("config");
        HeadConfig config = config(c);
        int size = c.path("image_size").get(0).asInt();
        JsonNode opt = c.path("optimizer");
        AdamW.Options options = new AdamW.Options(opt.path("lr").asDouble(), opt.path("betas").get(0).asDouble(),
                opt.path("betas").get(1).asDouble(), opt.path("eps").asDouble(), opt.path("weight_decay").asDouble());
        JsonNode out = json.path("outputs");
        try (Checkpoint before = Checkpoint.open(dir.resolve(json.path("weights").path("before").path("file").asText()));
                AnomalyHead head = AnomalyHead.load(config, before);
                AdamW adam = new AdamW(head.parameters(), options); PointerScope scope = new PointerScope()) {
            List<Tensor> tokens = stages(input(dir, json, "P"));
            Tensor text = input(dir, json, "L");
            Tensor gt = input(dir, json, "gt");
            float[] losses = new float[4];
            for (int step = 1; step <= 3; step++) {
                adam.zeroGrad();
                HeadOutput o = head.forward(tokens, text, size);
                SegmentationLoss.Parts parts = SegmentationLoss.compute(o.probs(), gt, config.stageWeights());
                losses[step - 1] = parts.total().item_float();
                if (step == 1) {
                    check(dir, "focal", out.path("focal"), stack(parts.focal()));
                    check(dir, "dice", out.path("dice"), stack(parts.dice()));
                    check(dir, "stage", out.path("stage"), stack(parts.stage()));
                    check(dir, "total", out.path("total"), parts.total().reshape(1));
                }
                parts.total().backward();
                if (step == 1) {
                    compareSafetensors(dir, out.path("grads"), head.parameters(), true);
                }
                adam.step();
                if (step == 1) {
                    compareSafetensors(dir, out.path("weights_after_1"), head.parameters(), false);
                }
            }
            compareSafetensors(dir, out.path("weights_after_3"), head.parameters(), false);
            HeadOutput last = head.forward(tokens, text, size);
            losses[3] = SegmentationLoss.compute(last.probs(), gt, config.stageWeights()).total().item_float();
            Npy expected = Fixtures.npy(dir.resolve(out.path("losses").path("file").asText()));
            Close.assertClose(expected.floats(), losses, out.path("losses").path("atol").asDouble(), "losses");
        }
    }

    /** Each key of a safetensors output against a parameter (or its gradient), with the key's own atol. */
    private static void compareSafetensors(Path dir, JsonNode entry, Map<String, Tensor> params, boolean grads) {
        try (Checkpoint expected = Checkpoint.open(dir.resolve(entry.path("file").asText()))) {
            for (JsonNode key : entry.path("keys")) {
                String name = key.path("name").asText();
                Tensor actual = params.get(name);
                if (actual == null) {
                    fail("no parameter " + name);
                }
                Close.assertClose(Tensors.toFloats(expected.load(name)), Tensors.toFloats(grads ? actual.grad() : actual),
                        key.path("atol").asDouble(), (grads ? "grad " : "weight ") + name + " (" + entry.path("file")
                                .asText() + ")");
            }
        }
    }

    static void adamw(Path dir) {
        JsonNode json = Fixtures.json(dir.resolve("case.json"));
        JsonNode opt = json.path("config").path("optimizer");
        AdamW.Options options = new AdamW.Options(opt.path("lr").asDouble(), opt.path("betas").get(0).asDouble(),
                opt.path("betas").get(1).asDouble(), opt.path("eps").asDouble(), opt.path("weight_decay").asDouble());
        int steps = json.path("config").path("steps").asInt();
        try (Checkpoint before = Checkpoint.open(dir.resolve(json.path("weights").path("before").path("file").asText()));
                Checkpoint grads = Checkpoint.open(dir.resolve(json.path("inputs").path("grads").path("file").asText()));
                PointerScope scope = new PointerScope()) {
            Map<String, Tensor> params = new java.util.LinkedHashMap<>();
            for (var t : before.tensors()) {
                params.put(t.name(), before.load(t.name()).requires_grad_(true));
            }
            try (AdamW adam = new AdamW(params, options)) {
                for (int t = 1; t <= steps; t++) {
                    for (Map.Entry<String, Tensor> e : params.entrySet()) {
                        e.getValue().mutable_grad().put(grads.load(e.getKey() + "@" + t));
                    }
                    adam.step();
                    compareSafetensors(dir, json.path("outputs").path("weights_after_" + t), params, false);
                }
            }
        }
    }
}

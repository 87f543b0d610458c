package dev.clipsam.clip;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clipsam.nn.Tensors;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * The normal / abnormal text features {@code L = [l_normal, l_abnormal]} of a class (paper §3.2 and App. A,
 * docs/DESIGN.md §2), built as WinCLIP and APRIL-GAN do: every {@code template.format(state.format(class))} sentence is
 * encoded and L2-normalised, the sentences of each group are averaged and the mean normalised again.
 *
 * <p>The default lists ({@link #winclip()}, resource {@code prompts.json}) are APRIL-GAN's: 7 normal and 5
 * abnormal states, 35 templates. Any other lists can be given.
 */
public record PromptEnsemble(List<String> normalStates, List<String> abnormalStates, List<String> templates) {

    /** The class name used when none is known. */
    public static final String UNKNOWN_CLASS = "object";

    private static volatile PromptEnsemble winclip;

    public PromptEnsemble {
        normalStates = List.copyOf(normalStates);
        abnormalStates = List.copyOf(abnormalStates);
        templates = List.copyOf(templates);
        if (normalStates.isEmpty() || abnormalStates.isEmpty() || templates.isEmpty()) {
            throw new IllegalArgumentException("states and templates must not be empty");
        }
    }

    /** APRIL-GAN's lists. */
    public static PromptEnsemble winclip() {
        if (winclip == null) {
            try (InputStream in = PromptEnsemble.class.getResourceAsStream("prompts.json")) {
                JsonNode json = new ObjectMapper().readTree(in);
                winclip = new PromptEnsemble(strings(json.path("normal_states")), strings(json.path("abnormal_states")),
                        strings(json.path("templates")));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return winclip;
    }

    /** The sentences of one group, states outer, templates inner. */
    public List<String> sentences(List<String> states, String className) {
        List<String> out = new ArrayList<>(states.size() * templates.size());
        for (String state : states) {
            String object = state.replace("{}", className);
            for (String template : templates) {
                out.add(template.replace("{}", object));
            }
        }
        return out;
    }

    /**
     * {@code [embed, 2]} float32: column 0 the normal, column 1 the abnormal unit vector of {@code className}
     * ({@link #UNKNOWN_CLASS} when null or blank).
     */
    public Tensor encode(ClipModel model, String className) {
        String name = className == null || className.isBlank() ? UNKNOWN_CLASS : className;
        Tensor normal = groupFeature(model, sentences(normalStates, name));
        Tensor abnormal = groupFeature(model, sentences(abnormalStates, name));
        return torch.stack(new TensorVector(normal, abnormal), 1);
    }

    private static Tensor groupFeature(ClipModel model, List<String> sentences) {
        long[] ids = ClipTokenizer.openai().tokenize(sentences, model.config().contextLength());
        Tensor mean;
        try (PointerScope scope = new PointerScope()) {
            Tensor features = model.encodeText(Tensors.fromLongs(ids, sentences.size(), model.config().contextLength()));
            mean = ClipModel.normalize(ClipModel.normalize(features).mean(0).unsqueeze(0)).squeeze(0);
            mean.retainReference();
        }
        return attachToScope(mean);
    }

    /** Hands a tensor made in an inner scope to the caller's scope (or to the garbage collector). */
    static Tensor attachToScope(Tensor t) {
        PointerScope outer = PointerScope.getInnerScope();
        if (outer != null) {
            outer.attach(t);
            t.releaseReference();
        }
        return t;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}

package dev.clipsam.umci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a head file says about itself (format {@value HeadFile#FORMAT}): the head's configuration, the input size it
 * was trained at, the CLIP it reads, the classes it saw, the F1-optimal threshold of its rough map on the training
 * data, and how it was trained. {@link #parse} refuses a description with a missing or out-of-range field, naming it.
 *
 * @param config     the head's configuration (type, widths, scales, stages, stage weights)
 * @param imageSize  input size in pixels (a multiple of the CLIP's patch)
 * @param clip       the CLIP the head was trained on
 * @param prompts    the prompt ensemble of its text features ({@code winclip})
 * @param classes    the class names of its training data
 * @param threshold  F1-optimal pixel threshold of the rough map on the training data, in [0, 1]
 * @param training   provenance: dataset, hyper-parameters, per-epoch losses, version (free-form JSON)
 */
public record HeadDescription(HeadConfig config, int imageSize, ClipIdentity clip, String prompts,
        List<String> classes, double threshold, JsonNode training) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The CLIP a head reads.
     *
     * @param file        its file name when the head was trained
     * @param sha256      SHA-256 of that file: a head only runs on the very same weights
     * @param name        architecture, e.g. {@code ViT-L/14@336px}
     * @param width       vision width (the tokens' channels)
     * @param embedDim    text embedding size
     * @param patch       patch size in pixels
     * @param precision   precision the training tokens were computed in ({@code fp32}, {@code bf16})
     * @param activation  MLP activation ({@code quick_gelu}, or {@code gelu} as APRIL-GAN runs)
     */
    public record ClipIdentity(String file, String sha256, String name, int width, int embedDim, int patch,
            String precision, String activation) {
    }

    public HeadDescription {
        classes = List.copyOf(classes);
        if (imageSize < 1) {
            throw new IllegalArgumentException("image_size " + imageSize + " is not a positive size");
        }
        if (clip.patch() > 0 && imageSize % clip.patch() != 0) {
            throw new IllegalArgumentException("image_size " + imageSize + " is not a multiple of the CLIP patch "
                    + clip.patch());
        }
        if (!(threshold >= 0 && threshold <= 1)) {
            throw new IllegalArgumentException("threshold " + threshold + " is not in [0, 1]");
        }
        if (config.clipWidth() != clip.width() || config.textDim() != clip.embedDim()) {
            throw new IllegalArgumentException("the head reads width " + config.clipWidth() + " and text dim "
                    + config.textDim() + ", its CLIP " + clip.name() + " has " + clip.width() + " and "
                    + clip.embedDim());
        }
    }

    /** Reads a description; a missing or invalid field is an {@link IllegalArgumentException} naming it. */
    public static HeadDescription parse(JsonNode json) {
        String format = json.path("format").asText();
        if (!HeadFile.FORMAT.equals(format)) {
            throw new IllegalArgumentException("head format '" + format + "' is not " + HeadFile.FORMAT);
        }
        JsonNode h = required(json, "head");
        HeadConfig config;
        try {
            config = new HeadConfig(HeadType.valueOf(text(h, "type").toUpperCase(Locale.ROOT)), integer(h, "clip_width"),
                    integer(h, "text_dim"), integer(h, "hidden"), ints(h, "scales"), ints(h, "stages"),
                    doubles(h, "stage_weights"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("head: " + e.getMessage(), e);
        }
        JsonNode c = required(json, "clip");
        ClipIdentity clip = new ClipIdentity(text(c, "file"), text(c, "sha256"), c.path("name").asText(""),
                c.path("width").asInt(config.clipWidth()), c.path("embed_dim").asInt(config.textDim()),
                c.path("patch").asInt(0), c.path("precision").asText("fp32"), c.path("activation").asText("quick_gelu"));
        List<String> classes = new ArrayList<>();
        json.path("classes").forEach(n -> classes.add(n.asText()));
        JsonNode threshold = required(json, "threshold");
        if (!threshold.isNumber()) {
            throw new IllegalArgumentException("threshold is not a number");
        }
        return new HeadDescription(config, integer(json, "image_size"), clip, json.path("prompts").asText("winclip"),
                classes, threshold.asDouble(), json.path("training"));
    }

    /** The JSON stored in the head file and beside it. */
    public ObjectNode toJson() {
        ObjectNode d = JSON.createObjectNode();
        d.put("format", HeadFile.FORMAT);
        d.set("head", HeadFile.toJson(config));
        d.put("image_size", imageSize);
        ObjectNode c = d.putObject("clip");
        c.put("file", clip.file());
        c.put("sha256", clip.sha256());
        c.put("name", clip.name());
        c.put("width", clip.width());
        c.put("embed_dim", clip.embedDim());
        c.put("patch", clip.patch());
        c.put("precision", clip.precision());
        c.put("activation", clip.activation());
        d.put("prompts", prompts);
        classes.forEach(d.putArray("classes")::add);
        d.put("threshold", threshold);
        d.set("training", training == null || training.isMissingNode() ? JSON.createObjectNode() : training);
        return d;
    }

    /**
     * Why this head cannot run on a CLIP of this identity and depth, or null when it can: the very weights it was
     * trained on (SHA-256), stages within the tower's depth, the input size a multiple of its patch.
     */
    public String mismatch(String clipSha256, int clipLayers, int clipPatch) {
        if (!clip.sha256().equals(clipSha256)) {
            return "was trained on CLIP " + clip.file() + " (SHA-256 " + clip.sha256() + ")";
        }
        for (int stage : config.stages()) {
            if (stage < 1 || stage > clipLayers) {
                return "reads CLIP block " + stage + ", but the CLIP has blocks 1.." + clipLayers;
            }
        }
        if (imageSize % clipPatch != 0) {
            return "has image_size " + imageSize + ", not a multiple of the CLIP patch " + clipPatch;
        }
        return null;
    }

    private static JsonNode required(JsonNode json, String field) {
        JsonNode n = json.path(field);
        if (n.isMissingNode() || n.isNull()) {
            throw new IllegalArgumentException("the description has no " + field);
        }
        return n;
    }

    private static String text(JsonNode json, String field) {
        return required(json, field).asText();
    }

    private static int integer(JsonNode json, String field) {
        JsonNode n = required(json, field);
        if (!n.canConvertToInt()) {
            throw new IllegalArgumentException(field + " is not an integer");
        }
        return n.asInt();
    }

    private static List<Integer> ints(JsonNode json, String field) {
        List<Integer> out = new ArrayList<>();
        required(json, field).forEach(n -> out.add(n.asInt()));
        return out;
    }

    private static List<Double> doubles(JsonNode json, String field) {
        List<Double> out = new ArrayList<>();
        required(json, field).forEach(n -> out.add(n.asDouble()));
        return out;
    }
}

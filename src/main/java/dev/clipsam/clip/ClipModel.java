package dev.clipsam.clip;

import dev.clipsam.io.Checkpoint;
import dev.clipsam.io.CheckpointException;
import dev.clipsam.io.Weights;
import dev.clipsam.nn.Activation;
import dev.clipsam.nn.Precision;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A frozen CLIP: image and text towers and the logit scale (OpenAI clip/model.py {@code CLIP}), built from any
 * ViT CLIP checkpoint with the architecture inferred from its tensor shapes ({@link ClipConfig#infer}).
 */
public final class ClipModel implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClipModel.class);

    /** How to run the towers. */
    public record Options(Precision precision, Activation activation) {
        /** fp32, QuickGELU: the reference path and the right activation for OpenAI's weights. */
        public static final Options DEFAULT = new Options(Precision.FP32, Activation.QUICK_GELU);
    }

    private final ClipConfig config;
    private final Options options;
    private final Path source;
    private final VisionTransformer visual;
    private final TextTransformer text;
    private final Tensor logitScale;
    private final List<Tensor> owned;

    private ClipModel(ClipConfig config, Options options, Path source, Weights w) {
        this.config = config;
        this.options = options;
        this.source = source;
        this.visual = new VisionTransformer(w.child("visual"), config, options.activation(), options.precision());
        this.text = new TextTransformer(w, config, options.activation(), options.precision());
        this.logitScale = w.tensor("logit_scale");
        this.owned = w.loaded();
    }

    /** Loads with {@link Options#DEFAULT}. */
    public static ClipModel load(Path checkpoint) {
        return load(checkpoint, Options.DEFAULT);
    }

    /**
     * Loads a CLIP from an OpenAI TorchScript {@code .pt}, a torch state dict or a safetensors file.
     *
     * @throws CheckpointException when the file is unusable or not a complete ViT CLIP
     */
    public static ClipModel load(Path checkpoint, Options options) {
        try (Checkpoint ckpt = Checkpoint.open(checkpoint)) {
            ClipConfig config = ClipConfig.infer(ckpt);
            List<String> missing = missingKeys(config, ckpt);
            if (!missing.isEmpty()) {
                throw new CheckpointException(checkpoint, "is not a complete " + config.name() + " CLIP: "
                        + missing.size() + " tensors missing (first: " + String.join(", ",
                                missing.subList(0, Math.min(3, missing.size()))) + ")");
            }
            Weights weights = new Weights(ckpt);
            ClipModel model = new ClipModel(config, options, checkpoint, weights);
            List<String> unexpected = weights.unused(ClipConfig.IGNORED_BUFFERS::contains);
            if (!unexpected.isEmpty()) {
                LOG.warn("{}: {} tensors not used by CLIP {} (first: {})", checkpoint, unexpected.size(), config.name(),
                        unexpected.get(0));
            }
            LOG.debug("loaded CLIP {} from {} ({}, {})", config.name(), checkpoint, options.precision(),
                    options.activation());
            return model;
        }
    }

    /** Keys the architecture needs that the checkpoint lacks. */
    public static List<String> missingKeys(ClipConfig config, Checkpoint ckpt) {
        return config.stateDictKeys().stream().filter(k -> !ckpt.contains(k)).toList();
    }

    /** Checkpoint tensors the architecture does not have (OpenAI's three int64 buffers excepted). */
    public static List<String> unexpectedKeys(ClipConfig config, Checkpoint ckpt) {
        Set<String> expected = new HashSet<>(config.stateDictKeys());
        List<String> out = new ArrayList<>();
        ckpt.tensors().forEach(t -> {
            if (!expected.contains(t.name()) && !ClipConfig.IGNORED_BUFFERS.contains(t.name())) {
                out.add(t.name());
            }
        });
        return out;
    }

    public ClipConfig config() {
        return config;
    }

    public Options options() {
        return options;
    }

    public Path source() {
        return source;
    }

    public VisionTransformer visual() {
        return visual;
    }

    public TextTransformer text() {
        return text;
    }

    /** {@code exp(logit_scale)} (100 for OpenAI's models). */
    public double logitScale() {
        return Math.exp(logitScale.item_float());
    }

    public Tensor encodeImage(Tensor images) {
        return visual.encode(images);
    }

    public Tensor encodeText(Tensor ids) {
        return text.encode(ids);
    }

    /** {@code CLIP.forward}: {@code logits_per_image [images, texts]} = scale · cos(image, text). */
    public Tensor logitsPerImage(Tensor images, Tensor ids) {
        Tensor img = normalize(encodeImage(images));
        Tensor txt = normalize(encodeText(ids));
        return img.matmul(txt.t()).mul(new org.bytedeco.pytorch.Scalar(logitScale()));
    }

    /** Rows divided by their L2 norm. */
    public static Tensor normalize(Tensor x) {
        return x.div(x.norm(new org.bytedeco.pytorch.ScalarOptional(new org.bytedeco.pytorch.Scalar(2.0)),
                new long[] {-1}, true));
    }

    @Override
    public void close() {
        Weights.release(owned);
    }
}

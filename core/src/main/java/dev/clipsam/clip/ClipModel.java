package dev.clipsam.clip;

import dev.clipsam.io.Checkpoint;
import dev.clipsam.io.CheckpointException;
import dev.clipsam.io.KeyCheck;
import dev.clipsam.io.RandomWeights;
import dev.clipsam.io.TensorSource;
import dev.clipsam.io.Weights;
import dev.clipsam.nn.Activation;
import dev.clipsam.nn.Precision;
import java.nio.file.Path;
import java.util.List;
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
            return build(ckpt, ClipConfig.infer(ckpt), options);
        }
    }

    /** A model of the given architecture with random weights (benchmarks; no download needed). */
    public static ClipModel random(ClipConfig config, Options options, long seed) {
        return build(new RandomWeights(config.stateDictShapes(), seed), config, options);
    }

    private static ClipModel build(TensorSource source, ClipConfig config, Options options) {
        checkKeys(config, source).requireLoadable(source.path(), config.name() + " CLIP");
        ClipModel model = new ClipModel(config, options, source.path(), new Weights(source));
        LOG.debug("loaded CLIP {} from {} ({}, {})", config.name(), source.path(), options.precision(),
                options.activation());
        return model;
    }

    /** The checkpoint against the architecture (OpenAI's three int64 buffers are expected extras). */
    public static KeyCheck checkKeys(ClipConfig config, TensorSource source) {
        return KeyCheck.compare(config.stateDictShapes(), source, ClipConfig.IGNORED_BUFFERS);
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

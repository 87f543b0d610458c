package dev.clipsam.sam;

import dev.clipsam.image.Image8;
import dev.clipsam.io.Checkpoint;
import dev.clipsam.io.CheckpointException;
import dev.clipsam.io.KeyCheck;
import dev.clipsam.io.RandomWeights;
import dev.clipsam.io.TensorSource;
import dev.clipsam.io.Weights;
import dev.clipsam.nn.Precision;
import dev.clipsam.nn.Tensors;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.bytedeco.pytorch.InterpolateFuncOptions;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.kBilinear;

/**
 * Segment Anything (segment_anything/modeling/sam.py {@code Sam}): image encoder, prompt encoder and mask decoder,
 * with the reference pre- and post-processing. Loads the official {@code sam_vit_h_4b8939.pth},
 * {@code sam_vit_l_0b3195.pth} and {@code sam_vit_b_01ec64.pth} directly, the variant read off the weights.
 */
public final class SamModel implements AutoCloseable {

    /** SAM's pixel normalisation (RGB, 0..255 scale). */
    static final float[] PIXEL_MEAN = {123.675f, 116.28f, 103.53f};
    static final float[] PIXEL_STD = {58.395f, 57.12f, 57.375f};

    private final SamConfig config;
    private final Precision precision;
    private final Path source;
    private final ImageEncoderViT imageEncoder;
    private final PromptEncoder promptEncoder;
    private final MaskDecoder maskDecoder;
    private final List<Tensor> owned;

    private SamModel(SamConfig config, Precision precision, Path source, Weights w) {
        this.config = config;
        this.precision = precision;
        this.source = source;
        this.imageEncoder = new ImageEncoderViT(w.child("image_encoder"), config, precision);
        this.promptEncoder = new PromptEncoder(w.child("prompt_encoder"));
        this.maskDecoder = new MaskDecoder(w.child("mask_decoder"));
        this.owned = w.loaded();
    }

    public static SamModel load(Path checkpoint) {
        return load(checkpoint, Precision.FP32);
    }

    /**
     * Loads SAM; {@code precision} applies to the image encoder (prompt encoder and decoder are small and always
     * run in float32).
     *
     * @throws CheckpointException when the file is unusable or not a complete SAM
     */
    public static SamModel load(Path checkpoint, Precision precision) {
        try (Checkpoint ckpt = Checkpoint.open(checkpoint)) {
            return build(ckpt, SamConfig.infer(ckpt), precision);
        }
    }

    /** A model of the given variant with random weights (benchmarks). */
    public static SamModel random(SamConfig config, Precision precision, long seed) {
        return build(new RandomWeights(config.stateDictShapes(), seed), config, precision);
    }

    private static SamModel build(TensorSource source, SamConfig config, Precision precision) {
        checkKeys(config, source).requireLoadable(source.path(), "SAM " + config.name());
        return new SamModel(config, precision, source.path(), new Weights(source));
    }

    public static KeyCheck checkKeys(SamConfig config, TensorSource source) {
        return KeyCheck.compare(config.stateDictShapes(), source, Set.of());
    }

    public SamConfig config() {
        return config;
    }

    public Precision precision() {
        return precision;
    }

    public Path source() {
        return source;
    }

    public ImageEncoderViT imageEncoder() {
        return imageEncoder;
    }

    public PromptEncoder promptEncoder() {
        return promptEncoder;
    }

    public MaskDecoder maskDecoder() {
        return maskDecoder;
    }

    /**
     * {@code Sam.preprocess} of an image already resized to the input frame: {@code (x - mean) / std} per RGB channel
     * in float32, then zero padding at the bottom and right to {@code [1, 3, 1024, 1024]}.
     */
    public static Tensor preprocess(Image8 resized) {
        Image8 rgb = resized.toRgb();
        int h = rgb.height();
        int w = rgb.width();
        int size = SamConfig.IMAGE_SIZE;
        float[] out = new float[3 * size * size];
        byte[] d = rgb.data();
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    out[(c * size + y) * size + x] = ((d[(y * w + x) * 3 + c] & 0xff) - PIXEL_MEAN[c]) / PIXEL_STD[c];
                }
            }
        }
        return Tensors.fromFloats(out, 1, 3, size, size);
    }

    /**
     * {@code Sam.postprocess_masks}: low-res logits {@code [B, C, 256, 256]} bilinearly to 1024x1024, cropped to the
     * input frame, then bilinearly (no antialias) to the original size.
     */
    public static Tensor postprocessMasks(Tensor lowRes, int inputHeight, int inputWidth, int originalHeight,
            int originalWidth) {
        Tensor full = bilinear(lowRes, SamConfig.IMAGE_SIZE, SamConfig.IMAGE_SIZE);
        Tensor cropped = full.narrow(2, 0, inputHeight).narrow(3, 0, inputWidth);
        return bilinear(cropped, originalHeight, originalWidth);
    }

    private static Tensor bilinear(Tensor x, int h, int w) {
        InterpolateFuncOptions options = new InterpolateFuncOptions();
        options.size().put(new LongVector(h, w));
        options.mode().put(new kBilinear());
        options.align_corners().put(false);
        return torch.interpolate(x, options);
    }

    @Override
    public void close() {
        Weights.release(owned);
    }
}

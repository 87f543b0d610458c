package dev.clipsam.sam;

import dev.clipsam.image.Image8;
import dev.clipsam.nn.Tensors;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The stateful way to use SAM (segment_anything/predictor.py {@code SamPredictor}): {@link #setImage} computes the
 * image embedding once; {@link #predict} and {@link #predictBatch} then answer any number of prompts against it.
 * The embedding is owned by the predictor and freed by the next {@code setImage} or by {@link #close}.
 */
public final class SamPredictor implements AutoCloseable {

    /**
     * Prompts decoded together at most. On CPU a larger batch saves nothing: the decoder's image-side work is per
     * prompt anyway and large batches cost memory (measured on 2 cores: 120-130 ms per prompt at batch 1, 2 or 4,
     * 230 ms at 8). Rows of one batch equal single calls.
     */
    public static final int DECODER_CHUNK = 2;

    private final SamModel model;
    private final ResizeLongestSide transform = new ResizeLongestSide(SamConfig.IMAGE_SIZE);
    private Tensor embedding;
    private int originalHeight;
    private int originalWidth;
    private int inputHeight;
    private int inputWidth;

    public SamPredictor(SamModel model) {
        this.model = model;
    }

    public SamModel model() {
        return model;
    }

    /** Resizes, normalises and pads the image, and runs the image encoder. */
    public void setImage(Image8 image) {
        Tensor computed;
        try (PointerScope scope = new PointerScope()) {
            Image8 resized = transform.applyImage(image);
            computed = model.imageEncoder().forward(SamModel.preprocess(resized));
            computed.retainReference();
        }
        adopt(computed, image.height(), image.width());
    }

    /** Uses an embedding computed elsewhere (e.g. cached) for an image of the given original size. */
    public void setEmbedding(Tensor imageEmbedding, int height, int width) {
        Tensor copy;
        try (PointerScope scope = new PointerScope()) {
            copy = imageEmbedding.to(ScalarType.Float).clone();
            copy.retainReference();
        }
        adopt(copy, height, width);
    }

    private void adopt(Tensor newEmbedding, int height, int width) {
        release();
        embedding = newEmbedding;
        originalHeight = height;
        originalWidth = width;
        int[] input = transform.preprocessShape(height, width);
        inputHeight = input[0];
        inputWidth = input[1];
    }

    /** {@code [1, 256, 64, 64]}; an image must have been set. */
    public Tensor embedding() {
        requireImage();
        return embedding;
    }

    public int originalHeight() {
        return originalHeight;
    }

    public int originalWidth() {
        return originalWidth;
    }

    /** One prompt, like {@code SamPredictor.predict}; the result has batch size 1. */
    public SamPrediction predict(SamPrompt prompt, boolean multimask) {
        return predictBatch(List.of(prompt), multimask);
    }

    /**
     * Several prompts in one decoder call (like {@code predict_torch}); they must all have the same number of
     * points and all have, or all lack, a box and a mask input. Row i equals {@code predict(prompts.get(i))}.
     */
    public SamPrediction predictBatch(List<SamPrompt> prompts, boolean multimask) {
        return predictBatch(prompts, multimask, originalHeight, originalWidth);
    }

    /**
     * Like {@link #predictBatch(List, boolean)}, with the mask logits brought to {@code outputHeight x outputWidth}
     * instead of the original size (SAM's own postprocessing with another final size: MMR reads the masks on the
     * S x S grid of the squashed image this way).
     */
    public SamPrediction predictBatch(List<SamPrompt> prompts, boolean multimask, int outputHeight, int outputWidth) {
        requireImage();
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompts");
        }
        if (prompts.size() > DECODER_CHUNK) {
            List<SamPrediction> parts = new java.util.ArrayList<>();
            for (int i = 0; i < prompts.size(); i += DECODER_CHUNK) {
                parts.add(predictBatch(prompts.subList(i, Math.min(prompts.size(), i + DECODER_CHUNK)), multimask,
                        outputHeight, outputWidth));
            }
            return SamPrediction.concat(parts);
        }
        SamPrompt first = prompts.get(0);
        int b = prompts.size();
        int n = first.pointCount();
        for (SamPrompt p : prompts) {
            if (p.pointCount() != n || (p.box() == null) != (first.box() == null)
                    || (p.maskInput() == null) != (first.maskInput() == null)) {
                throw new IllegalArgumentException("a batch needs prompts of one shape (points, box, mask)");
            }
        }
        Tensor points = null;
        Tensor labels = null;
        if (n > 0) {
            float[] xy = new float[b * n * 2];
            long[] lab = new long[b * n];
            for (int i = 0; i < b; i++) {
                SamPrompt p = prompts.get(i);
                System.arraycopy(transform.applyCoords(p.points(), originalHeight, originalWidth), 0, xy, i * n * 2, n * 2);
                for (int j = 0; j < n; j++) {
                    lab[i * n + j] = p.labels()[j];
                }
            }
            points = Tensors.fromFloats(xy, b, n, 2);
            labels = Tensors.fromLongs(lab, b, n);
        }
        Tensor boxes = null;
        if (first.box() != null) {
            float[] all = new float[b * 4];
            for (int i = 0; i < b; i++) {
                System.arraycopy(transform.applyBoxes(prompts.get(i).box(), originalHeight, originalWidth), 0, all,
                        i * 4, 4);
            }
            boxes = Tensors.fromFloats(all, b, 4);
        }
        Tensor masks = null;
        if (first.maskInput() != null) {
            TensorVector list = new TensorVector();
            prompts.forEach(p -> list.push_back(p.maskInput().to(ScalarType.Float).reshape(1, 1, 256, 256)));
            masks = torch.cat(list, 0);
        }
        return decode(points, labels, boxes, masks, multimask, outputHeight, outputWidth);
    }

    /**
     * {@code predict_torch}: prompts already in the 1024 input frame.
     *
     * @param points {@code [B, N, 2]} or null
     * @param labels {@code [B, N]} or null
     * @param boxes  {@code [B, 4]} or null
     * @param masks  {@code [B, 1, 256, 256]} or null
     */
    public SamPrediction decode(Tensor points, Tensor labels, Tensor boxes, Tensor masks, boolean multimask) {
        return decode(points, labels, boxes, masks, multimask, originalHeight, originalWidth);
    }

    private SamPrediction decode(Tensor points, Tensor labels, Tensor boxes, Tensor masks, boolean multimask,
            int outputHeight, int outputWidth) {
        requireImage();
        long b = points != null ? points.size(0) : boxes != null ? boxes.size(0) : masks != null ? masks.size(0) : 1;
        PromptEncoder prompts = model.promptEncoder();
        Tensor sparse = prompts.sparse(points, labels, boxes);
        Tensor dense = prompts.dense(masks, b);
        MaskDecoder.Output out = model.maskDecoder().forward(embedding, prompts.densePositionalEncoding(), sparse, dense,
                multimask);
        Tensor logits = SamModel.postprocessMasks(out.lowResLogits(), inputHeight, inputWidth, outputHeight,
                outputWidth);
        return new SamPrediction(logits, out.iouPredictions(), out.lowResLogits(), out);
    }

    private void requireImage() {
        if (embedding == null) {
            throw new IllegalStateException("set an image (setImage) before predicting");
        }
    }

    private void release() {
        if (embedding != null) {
            embedding.releaseReference();
            embedding = null;
        }
    }

    @Override
    public void close() {
        release();
    }
}

package dev.clipsam.sam;

import org.bytedeco.pytorch.Tensor;

/**
 * What SAM returns for a batch of {@code B} prompts with {@code C} masks each (C = 3 with multimask, else 1).
 *
 * @param logits        {@code [B, C, H, W]} mask logits at the original image size ({@code > 0} is the mask)
 * @param scores        {@code [B, C]} predicted IoU of each mask
 * @param lowResLogits  {@code [B, C, 256, 256]} decoder logits, reusable as a later prompt's mask input
 * @param decoder       the decoder's intermediate outputs (tokens, hypernetwork inputs, all four IoUs)
 */
public record SamPrediction(Tensor logits, Tensor scores, Tensor lowResLogits, MaskDecoder.Output decoder) {

    /** Binary masks {@code [B, C, H, W]} (logits > 0), as booleans. */
    public Tensor masks() {
        return logits.gt(new org.bytedeco.pytorch.Scalar(0.0));
    }
}

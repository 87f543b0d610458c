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

    /** Predictions of consecutive prompt batches joined into one (decoder internals of the first batch only). */
    static SamPrediction concat(java.util.List<SamPrediction> parts) {
        org.bytedeco.pytorch.TensorVector logits = new org.bytedeco.pytorch.TensorVector();
        org.bytedeco.pytorch.TensorVector scores = new org.bytedeco.pytorch.TensorVector();
        org.bytedeco.pytorch.TensorVector lowRes = new org.bytedeco.pytorch.TensorVector();
        for (SamPrediction p : parts) {
            logits.push_back(p.logits());
            scores.push_back(p.scores());
            lowRes.push_back(p.lowResLogits());
        }
        return new SamPrediction(org.bytedeco.pytorch.global.torch.cat(logits, 0),
                org.bytedeco.pytorch.global.torch.cat(scores, 0), org.bytedeco.pytorch.global.torch.cat(lowRes, 0),
                parts.get(0).decoder());
    }

    /** Binary masks {@code [B, C, H, W]} (logits > 0), as booleans. */
    public Tensor masks() {
        return logits.gt(new org.bytedeco.pytorch.Scalar(0.0));
    }
}

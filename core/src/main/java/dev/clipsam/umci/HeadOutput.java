package dev.clipsam.umci;

import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * What a head computes for a batch.
 *
 * @param logits   per stage {@code [B, 2, H, W]} on the patch grid
 * @param upsampled per stage {@code [B, 2, S, S]}: logits resized to the image (bilinear, align_corners=True)
 * @param probs    per stage {@code [B, 2, S, S]}: softmax over the two channels
 * @param rough    {@code [B, S, S]}: mean over stages of the abnormal probability, the rough map O (paper §3.2)
 */
public record HeadOutput(List<Tensor> logits, List<Tensor> upsampled, List<Tensor> probs, Tensor rough) {
}

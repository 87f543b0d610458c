package dev.clipsam.nn;

import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Numeric precision of a frozen tower. {@link #FP32} is the reference path that the parity tests check.
 * {@link #BF16} stores the matrix weights in bfloat16 and runs matrix products and attention in bfloat16 while
 * the residual stream and LayerNorms stay float32 (what {@code torch.autocast} does). {@link #INT8} is dynamic
 * quantization of the image towers' linear layers (int8 weights per output channel, activations quantized per
 * call, see {@link Linear}); everything else, attention included, stays float32, and CLIP's text tower, which runs
 * once per class, stays float32 whole. The deviations of bf16 and int8 from fp32 are measured by the tests and the
 * benchmark, not hidden.
 */
public enum Precision {
    FP32(ScalarType.Float),
    BF16(ScalarType.BFloat16),
    INT8(ScalarType.Float);

    private final ScalarType compute;

    Precision(ScalarType compute) {
        this.compute = compute;
    }

    /** Whether linear layers are quantized ({@link #INT8}). */
    public boolean quantized() {
        return this == INT8;
    }

    /** This precision for a tower that is not quantized (the text tower): int8 becomes fp32. */
    public Precision unquantized() {
        return quantized() ? FP32 : this;
    }

    /** The dtype of matrix weights (before any quantization) and of the activations that flow through them. */
    public ScalarType compute() {
        return compute;
    }
}

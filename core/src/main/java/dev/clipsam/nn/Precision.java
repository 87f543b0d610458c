package dev.clipsam.nn;

import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Numeric precision of a frozen tower. {@link #FP32} is the reference path that the parity tests check.
 * {@link #BF16} stores the matrix weights in bfloat16 and runs matrix products and attention in bfloat16 while
 * the residual stream and LayerNorms stay float32 (what {@code torch.autocast} does); its deviation from fp32 is
 * measured by the benchmark, not hidden.
 */
public enum Precision {
    FP32(ScalarType.Float),
    BF16(ScalarType.BFloat16);

    private final ScalarType compute;

    Precision(ScalarType compute) {
        this.compute = compute;
    }

    /** The dtype of matrix weights and of the activations that flow through them. */
    public ScalarType compute() {
        return compute;
    }
}

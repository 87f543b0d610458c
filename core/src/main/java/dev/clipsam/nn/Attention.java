package dev.clipsam.nn;

import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@code softmax(q kᵀ · scale) v} over {@code [B, heads, N, d]} tensors, by the fastest exact route per dtype on
 * CPU (measured on the 2-core target machine, 16 heads x 1370 tokens):
 * <ul>
 * <li>float32: libtorch's fused {@code scaled_dot_product_attention} (76 ms; the score matrix is never
 * materialised);</li>
 * <li>bfloat16: explicit products in bfloat16, four heads at a time so the score matrices stay small, and
 * libtorch's bfloat16 softmax, which accumulates in float32 and equals the float32 softmax rounded to bfloat16
 * (2.5 ms per chunk; asking for a float32 softmax of bfloat16 scores took 46 ms, the fused bf16 attention
 * kernel 1.2 s per layer).</li>
 * </ul>
 */
public final class Attention {

    private static final int HEADS_PER_CHUNK = 4;

    private Attention() {
    }

    /**
     * @param causal whether query i only sees keys 0..i
     * @param scale  multiplier of the scores; NaN for {@code 1/sqrt(d)}
     */
    public static Tensor scaledDotProduct(Tensor q, Tensor k, Tensor v, boolean causal, double scale) {
        if (q.scalar_type().value == ScalarType.Float.value || causal) {
            DoubleOptional s = Double.isNaN(scale) ? new DoubleOptional() : new DoubleOptional(scale);
            return torch.scaled_dot_product_attention(q.to(ScalarType.Float), k.to(ScalarType.Float),
                    v.to(ScalarType.Float), new TensorOptional(), 0.0, causal, s, false).to(q.scalar_type());
        }
        double factor = Double.isNaN(scale) ? 1.0 / Math.sqrt(q.size(-1)) : scale;
        long heads = q.size(1);
        TensorVector parts = new TensorVector();
        for (long h = 0; h < heads; h += HEADS_PER_CHUNK) {
            long n = Math.min(HEADS_PER_CHUNK, heads - h);
            Tensor scores = q.narrow(1, h, n).mul(new Scalar(factor)).matmul(k.narrow(1, h, n).transpose(-2, -1));
            parts.push_back(torch.softmax(scores, -1).matmul(v.narrow(1, h, n)));
        }
        return torch.cat(parts, 1);
    }
}

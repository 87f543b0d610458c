package dev.clipsam.nn;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.function.Supplier;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@code softmax(q kᵀ · scale) v} over {@code [B, heads, N, d]} tensors, by the faster exact route on the running
 * machine ({@link KernelTuning}, per shape, dtype and thread count):
 * <ul>
 * <li>{@code fused}: libtorch's {@code scaled_dot_product_attention} in the tensors' dtype (the score matrix is never
 * materialised);</li>
 * <li>{@code fused_fp32}: the same kernel in float32 (for bfloat16 inputs);</li>
 * <li>{@code explicit}: the products written out, four heads at a time so the score matrices stay small, with
 * libtorch's softmax (in bfloat16 it accumulates in float32 and equals the float32 softmax rounded).</li>
 * </ul>
 * Which wins differs between machines: on one AMD Zen 5 the fused bf16 kernel took 1.2 s per CLIP layer against
 * 2.5 ms per explicit chunk; on one Xeon with AMX the fused kernel was 8x faster than the explicit products. Causal
 * attention (CLIP's text tower, short sequences) always takes the fused float32 route.
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
        if (causal) {
            return fused(q, k, v, true, scale, ScalarType.Float);
        }
        ScalarType dtype = q.scalar_type();
        LinkedHashMap<String, Supplier<Tensor>> routes = new LinkedHashMap<>();
        routes.put("fused", () -> fused(q, k, v, false, scale, dtype));
        if (dtype.value != ScalarType.Float.value) {
            routes.put("fused_fp32", () -> fused(q, k, v, false, scale, ScalarType.Float));
        }
        routes.put("explicit", () -> explicit(q, k, v, scale));
        String shape = String.format(Locale.ROOT, "batch=%d heads=%d tokens=%d d=%d %s", q.size(0), q.size(1),
                q.size(2), q.size(3), dtype);
        return switch (KernelTuning.choose("attention", shape, routes, KernelTuning.tolerance(dtype))) {
            case "explicit" -> explicit(q, k, v, scale);
            case "fused_fp32" -> fused(q, k, v, false, scale, ScalarType.Float);
            default -> fused(q, k, v, false, scale, dtype);
        };
    }

    private static Tensor fused(Tensor q, Tensor k, Tensor v, boolean causal, double scale, ScalarType in) {
        DoubleOptional s = Double.isNaN(scale) ? new DoubleOptional() : new DoubleOptional(scale);
        return torch.scaled_dot_product_attention(q.to(in), k.to(in), v.to(in), new TensorOptional(), 0.0, causal, s,
                false).to(q.scalar_type());
    }

    private static Tensor explicit(Tensor q, Tensor k, Tensor v, double scale) {
        double factor = Double.isNaN(scale) ? 1.0 / Math.sqrt(q.size(-1)) : scale;
        long heads = q.size(1);
        TensorVector parts = new TensorVector();
        for (long h = 0; h < heads; h += HEADS_PER_CHUNK) {
            long n = Math.min(HEADS_PER_CHUNK, heads - h);
            Tensor scores = q.narrow(1, h, n).mul(new Scalar(factor)).matmul(k.narrow(1, h, n).transpose(-2, -1));
            parts.push_back(torch.softmax(scores, -1).matmul(v.narrow(1, h, n)));
        }
        return parts.size() == 1 ? parts.get(0) : torch.cat(parts, 1);
    }
}

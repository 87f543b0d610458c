package dev.clipsam.sam;

import dev.clipsam.io.Weights;
import dev.clipsam.nn.Linear;
import dev.clipsam.nn.Tensors;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.StringViewOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Multi-head attention with decomposed relative positions (segment_anything image_encoder.py {@code Attention},
 * from MViTv2): {@code softmax((q·s) kᵀ + rel_h + rel_w) v} with
 * {@code rel_h[i, j, ki] = q[i, j] · Rh[i - ki + S - 1]} and {@code rel_w[i, j, kj] = q[i, j] · Rw[j - kj + S - 1]},
 * both from the unscaled q.
 *
 * <p>Two exact evaluations, chosen by cost (2-core CPU, ViT-H shapes):
 * <ul>
 * <li>windows (196 tokens): scores of four heads at a time as {@code baddbmm(rel_h + rel_w, q·s, kᵀ)}, softmax,
 * times v (124 ms for 25 windows x 16 heads, against 636 ms for the alternative below);</li>
 * <li>global attention (4096 tokens) in float32: the relative terms are folded into the dot product, with
 * {@code q' = [q·s, rel_h, rel_w]} and {@code k' = [k, onehot(ki), onehot(kj)]}, so that {@code q'·k'} is the
 * biased score and libtorch's fused attention never stores the 4096 x 4096 matrix (2.7 s per block, against
 * 10 s and more for explicit scores).</li>
 * </ul>
 * In bfloat16 every block takes the explicit route, one head at a time for global blocks.
 */
final class RelPosAttention {

    /** Largest score matrix chunk of the explicit route, in elements (32 MB of float32). */
    private static final long MAX_CHUNK_ELEMENTS = 8L << 20;
    private static final Map<Long, Tensor[]> ONE_HOT_KEYS = new ConcurrentHashMap<>();

    private final int heads;
    private final boolean global;
    private final Linear qkv;
    private final Linear proj;
    private final Tensor relPosH;
    private final Tensor relPosW;

    RelPosAttention(Weights w, int heads, boolean global, ScalarType dtype) {
        this.heads = heads;
        this.global = global;
        this.qkv = new Linear(w.tensor("qkv.weight", dtype), w.tensor("qkv.bias", dtype));
        this.proj = new Linear(w.tensor("proj.weight", dtype), w.tensor("proj.bias", dtype));
        this.relPosH = w.tensor("rel_pos_h");
        this.relPosW = w.tensor("rel_pos_w");
    }

    /** @param x {@code [B, H, W, C]} */
    Tensor forward(Tensor x) {
        long b = x.size(0);
        long h = x.size(1);
        long w = x.size(2);
        long c = x.size(3);
        long hw = h * w;
        Tensor packed = qkv.forward(x).reshape(b, hw, 3, heads, -1).permute(2, 0, 3, 1, 4);
        Tensor q = packed.select(0, 0);
        Tensor k = packed.select(0, 1);
        Tensor v = packed.select(0, 2);
        long headDim = q.size(3);
        double scale = Math.pow(headDim, -0.5);

        // Relative terms from the unscaled q, in float32: [B, heads, HW, kh] and [B, heads, HW, kw].
        Tensor rq = q.to(ScalarType.Float).reshape(b * heads, h, w, headDim);
        Tensor rh = relativePositions((int) h, relPosH).permute(0, 2, 1);
        Tensor rw = relativePositions((int) w, relPosW).permute(0, 2, 1);
        Tensor relH = rq.matmul(rh).reshape(b, heads, hw, h);
        Tensor relW = rq.permute(0, 2, 1, 3).matmul(rw).permute(0, 2, 1, 3).reshape(b, heads, hw, w);

        Tensor out;
        if (global && q.scalar_type().value == ScalarType.Float.value) {
            out = foldedIntoSdpa(q, k, v, relH, relW, scale, h, w);
        } else {
            out = explicitChunks(q, k, v, relH, relW, scale, h, w);
        }
        return proj.forward(out.view(b, heads, h, w, headDim).permute(0, 2, 3, 1, 4).reshape(b, h, w, c));
    }

    Tensor explicitChunks(Tensor q, Tensor k, Tensor v, Tensor relH, Tensor relW, double scale, long h,
            long w) {
        long b = q.size(0);
        long hw = h * w;
        long d = q.size(3);
        ScalarType dtype = q.scalar_type();
        long chunk = Math.max(1, Math.min(heads, MAX_CHUNK_ELEMENTS / (b * hw * hw)));
        TensorVector parts = new TensorVector();
        for (long start = 0; start < heads; start += chunk) {
            long n = Math.min(chunk, heads - start);
            Tensor bias = relH.narrow(1, start, n).unsqueeze(-1).add(relW.narrow(1, start, n).unsqueeze(-2))
                    .view(b * n, hw, hw).to(dtype);
            Tensor qs = q.narrow(1, start, n).reshape(b * n, hw, d);
            Tensor ks = k.narrow(1, start, n).reshape(b * n, hw, d);
            Tensor vs = v.narrow(1, start, n).reshape(b * n, hw, d);
            Tensor scores = torch.baddbmm(bias, qs, ks.transpose(1, 2), new Scalar(1.0), new Scalar(scale));
            parts.push_back(torch.softmax(scores, -1).bmm(vs).view(b, n, hw, d));
        }
        return torch.cat(parts, 1);
    }

    Tensor foldedIntoSdpa(Tensor q, Tensor k, Tensor v, Tensor relH, Tensor relW, double scale, long h,
            long w) {
        long b = q.size(0);
        long hw = h * w;
        Tensor[] keys = oneHotKeys(h, w);
        Tensor qa = torch.cat(new TensorVector(q.mul(new Scalar(scale)), relH, relW), -1);
        Tensor ka = torch.cat(new TensorVector(k, keys[0].expand(b, heads, hw, h), keys[1].expand(b, heads, hw, w)), -1);
        long d = q.size(3);
        Tensor va = torch.constant_pad_nd(v, new long[] {0, h + w}); // the fused kernel wants equal head sizes
        return torch.scaled_dot_product_attention(qa, ka, va, new TensorOptional(), 0.0, false,
                new DoubleOptional(1.0), false).narrow(-1, 0, d);
    }

    /** {@code onehot(row)} and {@code onehot(column)} of every key position of an {@code h x w} grid. */
    private static Tensor[] oneHotKeys(long h, long w) {
        return ONE_HOT_KEYS.computeIfAbsent(h << 32 | w, key -> {
            Tensor[] pair = new Tensor[2];
            try (org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
                Tensor index = torch.arange(new Scalar(h * w), Tensors.options(ScalarType.Long));
                Tensor rows = index.div(new Scalar(w), new StringViewOptional(new BytePointer("floor")));
                pair[0] = torch.one_hot(rows, h).to(ScalarType.Float);
                pair[1] = torch.one_hot(index.remainder(new Scalar(w)), w).to(ScalarType.Float);
                pair[0].retainReference();
                pair[1].retainReference();
            }
            return pair;
        });
    }

    /**
     * {@code get_rel_pos(size, size, table)}: {@code table[i - j + size - 1]} as {@code [size, size, C]}, the table
     * first resized linearly to {@code 2·size - 1} rows when it has another length.
     */
    static Tensor relativePositions(int size, Tensor table) {
        int rows = 2 * size - 1;
        Tensor resized = table;
        if (table.size(0) != rows) {
            org.bytedeco.pytorch.InterpolateFuncOptions options = new org.bytedeco.pytorch.InterpolateFuncOptions();
            options.size().put(new LongVector(rows));
            options.mode().put(new org.bytedeco.pytorch.kLinear());
            resized = torch.interpolate(table.reshape(1, table.size(0), -1).permute(0, 2, 1), options)
                    .reshape(-1, rows).permute(1, 0);
        }
        Tensor coords = torch.arange(new Scalar(size), Tensors.options(ScalarType.Long));
        Tensor index = coords.unsqueeze(1).sub(coords.unsqueeze(0)).add(new Scalar(size - 1));
        return resized.index_select(0, index.reshape(-1)).reshape(size, size, -1);
    }
}

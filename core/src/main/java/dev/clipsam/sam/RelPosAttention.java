package dev.clipsam.sam;

import dev.clipsam.io.Weights;
import dev.clipsam.nn.KernelTuning;
import dev.clipsam.nn.Linear;
import dev.clipsam.nn.Precision;
import dev.clipsam.nn.RowChunks;
import dev.clipsam.nn.Scopes;
import dev.clipsam.nn.Tensors;
import java.util.List;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.Scalar;
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
 * <p>The scores are computed explicitly, {@code baddbmm(rel_h + rel_w, q·s, kᵀ)}, in slices of heads and query rows
 * that keep every intermediate at most 16 MB: a global block of ViT-H has 16 x 4096 x 4096 scores (1 GiB), and
 * blocks above 32 MB would be page-faulted in afresh on every call (see {@link RowChunks}). Each slice runs either as
 * explicit products or through libtorch's fused attention with the relative terms as its additive mask, whichever
 * {@link KernelTuning} measured faster on this machine (on one 2-core AMD EPYC the explicit products; on a Xeon with
 * AMX the fused kernel).
 */
final class RelPosAttention {

    private final int heads;
    private final Linear q;
    private final Linear k;
    private final Linear v;
    private final Linear proj;
    private final Tensor relPosH;
    private final Tensor relPosW;

    RelPosAttention(Weights w, int heads, Precision precision) {
        this.heads = heads;
        // The packed projection as three: each output stays a third of the size (rows q | k | v, as qkv.reshape).
        List<Linear> qkv = Linear.loadSplit(w, "qkv.weight", "qkv.bias", 3, precision);
        this.q = qkv.get(0);
        this.k = qkv.get(1);
        this.v = qkv.get(2);
        this.proj = Linear.load(w, "proj.weight", "proj.bias", precision);
        this.relPosH = w.tensor("rel_pos_h");
        this.relPosW = w.tensor("rel_pos_w");
    }

    /** @param x {@code [B, H, W, C]} */
    Tensor forward(Tensor x) {
        return output(attend(q.forward(x), k.forward(x), v.forward(x)));
    }

    /** q, k and v of tokens, without their biases ({@link #qBias()} ...). */
    record Projected(Tensor q, Tensor k, Tensor v) {
    }

    /** @param x {@code [B, H, W, C]} */
    Projected project(Tensor x) {
        return new Projected(q.forwardWithoutBias(x), k.forwardWithoutBias(x), v.forwardWithoutBias(x));
    }

    Tensor qBias() {
        return q.bias();
    }

    Tensor kBias() {
        return k.bias();
    }

    Tensor vBias() {
        return v.bias();
    }

    /** The output projection. */
    Tensor output(Tensor attended) {
        return proj.forward(attended);
    }

    /**
     * Attention with relative positions over projected tokens, before the output projection.
     *
     * @param qx {@code [B, H, W, C]} (q, k, v with their biases)
     * @return {@code [B, H, W, C]}
     */
    Tensor attend(Tensor qx, Tensor kx, Tensor vx) {
        long b = qx.size(0);
        long h = qx.size(1);
        long w = qx.size(2);
        long c = qx.size(3);
        long hw = h * w;
        long d = c / heads;
        Tensor qh = split(qx, b, hw, d);
        Tensor kh = split(kx, b, hw, d);
        Tensor vh = split(vx, b, hw, d);

        // Relative terms from the unscaled q, in float32: [B·heads, HW, h] and [B·heads, HW, w]. One product per
        // grid row (resp. column) over all heads and windows: rel_h[n, i, j, ki] = sum_c q[n, i, j, c] Rh[i, ki, c].
        long n = b * heads;
        Tensor rq = qh.to(ScalarType.Float).view(n, h, w, d);
        Tensor relH = rq.permute(1, 0, 2, 3).reshape(h, n * w, d)
                .bmm(relativePositions((int) h, relPosH).transpose(1, 2))
                .view(h, n, w, h).permute(1, 0, 2, 3).reshape(n, hw, h);
        Tensor relW = rq.permute(2, 0, 1, 3).reshape(w, n * h, d)
                .bmm(relativePositions((int) w, relPosW).transpose(1, 2))
                .view(w, n, h, w).permute(1, 2, 0, 3).reshape(n, hw, w);

        Tensor out = attend(qh, kh, vh, relH, relW, Math.pow(d, -0.5), h, w);
        return out.view(b, heads, h, w, d).permute(0, 2, 3, 1, 4).reshape(b, h, w, c);
    }

    /** {@code [B, HW, C]} to {@code [B·heads, HW, d]}. */
    private Tensor split(Tensor x, long b, long hw, long d) {
        return x.reshape(b, hw, heads, d).permute(0, 2, 1, 3).reshape(b * heads, hw, d);
    }

    /**
     * @param q    {@code [N, HW, d]} (N = batch · heads)
     * @param relH {@code [N, HW, h]} float32
     * @param relW {@code [N, HW, w]} float32
     * @return {@code [N, HW, d]}
     */
    static Tensor attend(Tensor q, Tensor k, Tensor v, Tensor relH, Tensor relW, double scale, long h, long w) {
        long n = q.size(0);
        long hw = q.size(1);
        ScalarType dtype = q.scalar_type();
        long perRow = hw;
        long rowsPerSlice = Math.max(1, RowChunks.MAX_ELEMENTS / perRow);
        long headsPerSlice = Math.max(1, Math.min(n, rowsPerSlice / hw));
        long queryRows = headsPerSlice > 1 ? hw : Math.min(hw, rowsPerSlice);
        Route route = route(q, k, v, relH, relW, scale, headsPerSlice, queryRows);
        TensorVector byHead = new TensorVector();
        for (long start = 0; start < n; start += headsPerSlice) {
            long m = Math.min(headsPerSlice, n - start);
            TensorVector byRow = new TensorVector();
            for (long row = 0; row < hw; row += queryRows) {
                long r = Math.min(queryRows, hw - row);
                long first = start;
                long firstRow = row;
                // Each slice in its own scope: only its [m, r, d] output outlives it.
                byRow.push_back(Scopes.keep(() -> slice(route, q, k, v, relH, relW, scale, first, m, firstRow, r)));
            }
            byHead.push_back(byRow.size() == 1 ? byRow.get(0) : torch.cat(byRow, 1));
        }
        return byHead.size() == 1 ? byHead.get(0) : torch.cat(byHead, 0);
    }

    /** The two exact routes of one slice of heads and query rows. */
    enum Route { EXPLICIT, FUSED }

    /**
     * The faster route on this machine for slices of this shape, measured on the first slice ({@link KernelTuning}):
     * explicit products ({@code baddbmm}, softmax, {@code bmm}) or libtorch's fused attention with the relative
     * terms as an additive mask.
     */
    private static Route route(Tensor q, Tensor k, Tensor v, Tensor relH, Tensor relW, double scale, long m, long r) {
        java.util.LinkedHashMap<String, java.util.function.Supplier<Tensor>> routes = new java.util.LinkedHashMap<>();
        for (Route route : Route.values()) {
            routes.put(route.name().toLowerCase(java.util.Locale.ROOT),
                    () -> slice(route, q, k, v, relH, relW, scale, 0, m, 0, r));
        }
        String shape = String.format(java.util.Locale.ROOT, "heads=%d rows=%d keys=%d d=%d %s", m, r, q.size(1),
                q.size(2), q.scalar_type());
        return Route.valueOf(KernelTuning.choose("sam-relpos-attention", shape, routes,
                KernelTuning.tolerance(q.scalar_type())).toUpperCase(java.util.Locale.ROOT));
    }

    private static Tensor slice(Route route, Tensor q, Tensor k, Tensor v, Tensor relH, Tensor relW, double scale,
            long first, long m, long firstRow, long r) {
        long hw = k.size(1);
        Tensor bias = relH.narrow(0, first, m).narrow(1, firstRow, r).unsqueeze(-1)
                .add(relW.narrow(0, first, m).narrow(1, firstRow, r).unsqueeze(-2)).view(m, r, hw)
                .to(q.scalar_type());
        Tensor qs = q.narrow(0, first, m).narrow(1, firstRow, r);
        Tensor ks = k.narrow(0, first, m);
        Tensor vs = v.narrow(0, first, m);
        if (route == Route.FUSED) {
            return torch.scaled_dot_product_attention(qs, ks, vs, new TensorOptional(bias), 0.0, false,
                    new DoubleOptional(scale), false);
        }
        Tensor scores = torch.baddbmm(bias, qs, ks.transpose(1, 2), new Scalar(1.0), new Scalar(scale));
        return torch.softmax(scores, -1).bmm(vs);
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
            options.size().put(new LongVector(new long[] {rows}));
            options.mode().put(new org.bytedeco.pytorch.kLinear());
            options.align_corners().put(false);
            resized = torch.interpolate(table.reshape(1, table.size(0), -1).permute(0, 2, 1), options)
                    .reshape(-1, rows).permute(1, 0);
        }
        Tensor coords = torch.arange(new Scalar(size), Tensors.options(ScalarType.Long));
        Tensor index = coords.unsqueeze(1).sub(coords.unsqueeze(0)).add(new Scalar(size - 1));
        return resized.index_select(0, index.reshape(-1)).reshape(size, size, -1);
    }
}

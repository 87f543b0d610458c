package dev.clipsam.sam;

import dev.clipsam.io.Weights;
import dev.clipsam.nn.Linear;
import dev.clipsam.nn.RowChunks;
import dev.clipsam.nn.Scopes;
import dev.clipsam.nn.Tensors;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
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
 * blocks above 32 MB would be page-faulted in afresh on every call (see {@link RowChunks}). Measured on 2 cores,
 * this beats libtorch's fused attention with the relative terms folded into augmented q/k (which triples the
 * product's depth) and whole-matrix evaluation.
 */
final class RelPosAttention {

    private final int heads;
    private final Linear q;
    private final Linear k;
    private final Linear v;
    private final Linear proj;
    private final Tensor relPosH;
    private final Tensor relPosW;

    RelPosAttention(Weights w, int heads, ScalarType dtype) {
        this.heads = heads;
        Tensor weight = w.tensor("qkv.weight", dtype);
        Tensor bias = w.tensor("qkv.bias", dtype);
        long c = weight.size(1);
        // The packed projection as three: each output stays a third of the size (rows q | k | v, as qkv.reshape).
        this.q = new Linear(weight.narrow(0, 0, c), bias.narrow(0, 0, c));
        this.k = new Linear(weight.narrow(0, c, c), bias.narrow(0, c, c));
        this.v = new Linear(weight.narrow(0, 2 * c, c), bias.narrow(0, 2 * c, c));
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
        long d = c / heads;
        Tensor qh = split(q.forward(x), b, hw, d);
        Tensor kh = split(k.forward(x), b, hw, d);
        Tensor vh = split(v.forward(x), b, hw, d);

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
        return proj.forward(out.view(b, heads, h, w, d).permute(0, 2, 3, 1, 4).reshape(b, h, w, c));
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
        TensorVector byHead = new TensorVector();
        for (long start = 0; start < n; start += headsPerSlice) {
            long m = Math.min(headsPerSlice, n - start);
            Tensor ks = k.narrow(0, start, m).transpose(1, 2);
            Tensor vs = v.narrow(0, start, m);
            TensorVector byRow = new TensorVector();
            for (long row = 0; row < hw; row += queryRows) {
                long r = Math.min(queryRows, hw - row);
                long first = start;
                long firstRow = row;
                // Each slice in its own scope: only its [m, r, d] output outlives it.
                byRow.push_back(Scopes.keep(() -> {
                    Tensor bias = relH.narrow(0, first, m).narrow(1, firstRow, r).unsqueeze(-1)
                            .add(relW.narrow(0, first, m).narrow(1, firstRow, r).unsqueeze(-2)).view(m, r, hw)
                            .to(dtype);
                    Tensor scores = torch.baddbmm(bias, q.narrow(0, first, m).narrow(1, firstRow, r), ks,
                            new Scalar(1.0), new Scalar(scale));
                    return torch.softmax(scores, -1).bmm(vs);
                }));
            }
            byHead.push_back(byRow.size() == 1 ? byRow.get(0) : torch.cat(byRow, 1));
        }
        return byHead.size() == 1 ? byHead.get(0) : torch.cat(byHead, 0);
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

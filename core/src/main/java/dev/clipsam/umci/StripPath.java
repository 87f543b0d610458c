package dev.clipsam.umci;

import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * UMCI's strip path (paper §3.2 eq. 1-2, App. B Algorithm 1; docs/DESIGN.md §3.3): the projected tokens are pooled into a row
 * strip (mean over W) and a column strip (mean over H); along each strip a 1-D convolution gives visual tokens; the
 * two text tokens attend to them, are updated by a GRU cell, and then the strip attends back to the text; the
 * results are L2-normalised, broadcast along the other axis, summed and fused by a 3x3 convolution.
 */
final class StripPath {

    /** One direction (rows or columns), with its own weights. */
    static final class Branch {
        private final Tensor convWeight;
        private final Tensor convBias;
        private final Tensor t1Weight;
        private final Tensor t1Bias;
        private final Tensor t2Weight;
        private final Tensor t2Bias;
        private final Tensor gruIh;
        private final Tensor gruHh;
        private final Tensor gruBiasIh;
        private final Tensor gruBiasHh;

        Branch(ParamStore p, String prefix, int ct, int ch) {
            convWeight = p.get(prefix + "conv.weight", new long[] {ch, ct, 3}, 3L * ct);
            convBias = p.get(prefix + "conv.bias", new long[] {ch}, 3L * ct);
            t1Weight = p.get(prefix + "t1.weight", new long[] {ch, ct}, ct);
            t1Bias = p.get(prefix + "t1.bias", new long[] {ch}, ct);
            t2Weight = p.get(prefix + "t2.weight", new long[] {ch, ct}, ct);
            t2Bias = p.get(prefix + "t2.bias", new long[] {ch}, ct);
            gruIh = p.get(prefix + "gru.weight_ih", new long[] {3L * ch, ch}, ParamStore.Init.HIDDEN_UNIFORM, ch);
            gruHh = p.get(prefix + "gru.weight_hh", new long[] {3L * ch, ch}, ParamStore.Init.HIDDEN_UNIFORM, ch);
            gruBiasIh = p.get(prefix + "gru.bias_ih", new long[] {3L * ch}, ParamStore.Init.HIDDEN_UNIFORM, ch);
            gruBiasHh = p.get(prefix + "gru.bias_hh", new long[] {3L * ch}, ParamStore.Init.HIDDEN_UNIFORM, ch);
        }

        /**
         * @param strip {@code [B, Ct, N]} pooled strip
         * @param text  {@code [B, 2, Ct]} (normal, abnormal)
         * @param trace receives the intermediates (may be null)
         * @return {@code M}: {@code [B, N, c_h]}
         */
        Tensor forward(Tensor strip, Tensor text, String suffix, Map<String, Tensor> trace) {
            Tensor v = Ops.conv1d3(strip, convWeight, convBias).transpose(1, 2);
            Tensor t1 = Ops.linear(text, t1Weight, t1Bias);
            Tensor t2 = Ops.linear(text, t2Weight, t2Bias);
            Tensor a = Ops.attention(t1, v, v);
            long b = t1.size(0);
            long ch = t1.size(2);
            Tensor tNew = torch.gru_cell(a.reshape(b * 2, ch), t1.reshape(b * 2, ch), gruIh, gruHh,
                    new TensorOptional(gruBiasIh), new TensorOptional(gruBiasHh)).reshape(b, 2, ch);
            Tensor vAtt = Ops.attention(v, tNew, t2);
            Tensor m = Ops.l2normalize(vAtt.add(v), -1);
            if (trace != null) {
                trace.put("v_" + suffix, v);
                trace.put("t1_" + suffix, t1);
                trace.put("t2_" + suffix, t2);
                trace.put("a_" + suffix, a);
                trace.put("t_new_" + suffix, tNew);
                trace.put("v_att_" + suffix, vAtt);
                trace.put("M_" + suffix, m);
            }
            return m;
        }
    }

    private final Branch row;
    private final Branch col;
    private final Tensor fuseWeight;
    private final Tensor fuseBias;

    StripPath(ParamStore p, String prefix, int ct, int ch) {
        row = new Branch(p, prefix + "row.", ct, ch);
        col = new Branch(p, prefix + "col.", ct, ch);
        fuseWeight = p.get(prefix + "fuse.weight", new long[] {ch, ch, 3, 3}, 9L * ch);
        fuseBias = p.get(prefix + "fuse.bias", new long[] {ch}, 9L * ch);
    }

    /** {@code M_rowcol}: {@code [B, c_h, H, W]} from {@code P_hat [B, Ct, H, W]}. */
    Tensor forward(Tensor pHat, Tensor text, Map<String, Tensor> trace) {
        long h = pHat.size(2);
        long w = pHat.size(3);
        Tensor mRow = row.forward(pHat.mean(new long[] {3}), text, "row", trace);   // [B, H, c_h]
        Tensor mCol = col.forward(pHat.mean(new long[] {2}), text, "col", trace);   // [B, W, c_h]
        Tensor grid = mRow.transpose(1, 2).unsqueeze(3).expand(-1, -1, h, w)
                .add(mCol.transpose(1, 2).unsqueeze(2).expand(-1, -1, h, w));
        Tensor out = Ops.conv3x3(grid, fuseWeight, fuseBias);
        if (trace != null) {
            trace.put("M_rowcol", out);
        }
        return out;
    }
}

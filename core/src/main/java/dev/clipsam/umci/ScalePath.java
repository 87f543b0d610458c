package dev.clipsam.umci;

import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * UMCI's scale path (paper §3.2 eq. 3-4, App. B Algorithm 2; docs/DESIGN.md §3.4): the projected tokens are average-pooled at
 * two scales (kernel = stride = s, ceil mode), each pooled grid is convolved, attends to two text tokens, is
 * L2-normalised with a residual, resized back to H x W (bilinear, align_corners=False); the two are summed and fused.
 */
final class ScalePath {

    /** One scale. */
    static final class Branch {
        private final int s;
        private final Tensor convWeight;
        private final Tensor convBias;
        private final Tensor tkWeight;
        private final Tensor tkBias;
        private final Tensor tvWeight;
        private final Tensor tvBias;

        Branch(ParamStore p, String prefix, int s, int ct, int ch) {
            this.s = s;
            convWeight = p.get(prefix + "conv.weight", new long[] {ch, ct, 3, 3}, 9L * ct);
            convBias = p.get(prefix + "conv.bias", new long[] {ch}, 9L * ct);
            tkWeight = p.get(prefix + "tk.weight", new long[] {ch, ct}, ct);
            tkBias = p.get(prefix + "tk.bias", new long[] {ch}, ct);
            tvWeight = p.get(prefix + "tv.weight", new long[] {ch, ct}, ct);
            tvBias = p.get(prefix + "tv.bias", new long[] {ch}, ct);
        }

        /** {@code M_g} resized to {@code H x W}. */
        Tensor forward(Tensor pHat, Tensor text, String suffix, Map<String, Tensor> trace) {
            Tensor pooled = torch.avg_pool2d(pHat, new long[] {s, s}, new long[] {s, s}, new long[] {0, 0}, true, true,
                    new LongOptional());
            Tensor v = Ops.conv3x3(pooled, convWeight, convBias);              // [B, c_h, hg, wg]
            long b = v.size(0);
            long ch = v.size(1);
            long hg = v.size(2);
            long wg = v.size(3);
            Tensor tokens = v.flatten(2, 3).transpose(1, 2);                  // [B, hg*wg, c_h]
            Tensor tk = Ops.linear(text, tkWeight, tkBias);
            Tensor tv = Ops.linear(text, tvWeight, tvBias);
            Tensor vAtt = Ops.attention(tokens, tk, tv);
            Tensor m = Ops.l2normalize(vAtt.add(tokens), -1).transpose(1, 2).reshape(b, ch, hg, wg);
            Tensor up = Ops.bilinear(m, pHat.size(2), pHat.size(3), false);
            if (trace != null) {
                trace.put("pool_" + suffix, pooled);
                trace.put("v_" + suffix, v);
                trace.put("tk_" + suffix, tk);
                trace.put("tv_" + suffix, tv);
                trace.put("v_att_" + suffix, vAtt.transpose(1, 2).reshape(b, ch, hg, wg));
                trace.put("M_" + suffix, m);
                trace.put("M_" + suffix + "_up", up);
            }
            return up;
        }
    }

    private final Branch g1;
    private final Branch g2;
    private final Tensor fuseWeight;
    private final Tensor fuseBias;

    ScalePath(ParamStore p, String prefix, List<Integer> scales, int ct, int ch) {
        g1 = new Branch(p, prefix + "g1.", scales.get(0), ct, ch);
        g2 = new Branch(p, prefix + "g2.", scales.get(1), ct, ch);
        fuseWeight = p.get(prefix + "fuse.weight", new long[] {ch, ch, 3, 3}, 9L * ch);
        fuseBias = p.get(prefix + "fuse.bias", new long[] {ch}, 9L * ch);
    }

    /** {@code M_scale}: {@code [B, c_h, H, W]}. */
    Tensor forward(Tensor pHat, Tensor text, Map<String, Tensor> trace) {
        Tensor sum = g1.forward(pHat, text, "g1", trace).add(g2.forward(pHat, text, "g2", trace));
        Tensor out = Ops.conv3x3(sum, fuseWeight, fuseBias);
        if (trace != null) {
            trace.put("M_scale", out);
        }
        return out;
    }
}

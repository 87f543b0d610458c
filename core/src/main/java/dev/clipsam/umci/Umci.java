package dev.clipsam.umci;

import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * One stage of the Unified Multi-scale Cross-modal Interaction module (paper §3.2, eq. 1-6; docs/DESIGN.md §3): project the
 * stage's CLIP patch tokens to the text width ({@code P_hat}), run the strip and scale paths against the text
 * features, fuse them with a convolution of {@code P_hat} ({@code M_all}, eq. 5), and classify every pixel with an
 * MLP on {@code ReLU(M_all + P_hat)} (eq. 6). Channel 1 of the output is "abnormal".
 */
public final class Umci {

    private final Tensor projWeight;
    private final Tensor projBias;
    private final StripPath strip;
    private final ScalePath scale;
    private final Tensor oriWeight;
    private final Tensor oriBias;
    private final Tensor fuseWeight;
    private final Tensor fuseBias;
    private final Tensor fc1Weight;
    private final Tensor fc1Bias;
    private final Tensor fc2Weight;
    private final Tensor fc2Bias;

    Umci(ParamStore p, String prefix, HeadConfig config) {
        int c = config.clipWidth();
        int ct = config.textDim();
        int ch = config.hidden();
        projWeight = p.get(prefix + "proj.weight", new long[] {ct, c}, c);
        projBias = p.get(prefix + "proj.bias", new long[] {ct}, c);
        strip = config.type().strip() ? new StripPath(p, prefix + "strip.", ct, ch) : null;
        scale = config.type().scale() ? new ScalePath(p, prefix + "scale.", config.scales(), ct, ch) : null;
        oriWeight = p.get(prefix + "ori.weight", new long[] {ch, ct, 3, 3}, 9L * ct);
        oriBias = p.get(prefix + "ori.bias", new long[] {ch}, 9L * ct);
        int paths = 1 + (strip != null ? 1 : 0) + (scale != null ? 1 : 0);
        fuseWeight = p.get(prefix + "fuse.weight", new long[] {ct, (long) paths * ch, 3, 3}, 9L * paths * ch);
        fuseBias = p.get(prefix + "fuse.bias", new long[] {ct}, 9L * paths * ch);
        fc1Weight = p.get(prefix + "mlp.fc1.weight", new long[] {ch, ct}, ct);
        fc1Bias = p.get(prefix + "mlp.fc1.bias", new long[] {ch}, ct);
        fc2Weight = p.get(prefix + "mlp.fc2.weight", new long[] {2, ch}, ch);
        fc2Bias = p.get(prefix + "mlp.fc2.bias", new long[] {2}, ch);
    }

    /**
     * @param tokens {@code [B, C, H, W]} patch tokens of this stage
     * @param text   {@code [B, 2, Ct]} normal and abnormal text features
     * @param trace  receives every intermediate under its fixture name (may be null)
     * @return logits {@code [B, 2, H, W]}
     */
    public Tensor forward(Tensor tokens, Tensor text, Map<String, Tensor> trace) {
        Tensor pHat = Ops.pixelLinear(tokens, projWeight, projBias);
        TensorVector parts = new TensorVector();
        Tensor vOri = Ops.conv3x3(pHat, oriWeight, oriBias);
        parts.push_back(vOri);
        if (strip != null) {
            parts.push_back(strip.forward(pHat, text, trace));
        }
        if (scale != null) {
            parts.push_back(scale.forward(pHat, text, trace));
        }
        Tensor mAll = Ops.conv3x3(torch.cat(parts, 1), fuseWeight, fuseBias);
        Tensor hidden = torch.relu(Ops.pixelLinear(torch.relu(mAll.add(pHat)), fc1Weight, fc1Bias));
        Tensor logits = Ops.pixelLinear(hidden, fc2Weight, fc2Bias);
        if (trace != null) {
            trace.put("P_hat", pHat);
            trace.put("v_ori", vOri);
            trace.put("M_all", mAll);
            trace.put("logits", logits);
        }
        return logits;
    }
}

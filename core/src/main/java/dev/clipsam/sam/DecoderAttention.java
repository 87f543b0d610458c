package dev.clipsam.sam;

import dev.clipsam.io.Weights;
import dev.clipsam.nn.Linear;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The attention of SAM's two-way transformer (transformer.py {@code Attention}): separate q/k/v projections to
 * {@code 256 / downsample} channels, 8 heads, {@code softmax(q kᵀ / √d) v}, output projection back to 256.
 */
final class DecoderAttention {

    private final Linear qProj;
    private final Linear kProj;
    private final Linear vProj;
    private final Linear outProj;
    private final int heads;

    DecoderAttention(Weights w, int heads) {
        this.qProj = new Linear(w.tensor("q_proj.weight"), w.tensor("q_proj.bias"));
        this.kProj = new Linear(w.tensor("k_proj.weight"), w.tensor("k_proj.bias"));
        this.vProj = new Linear(w.tensor("v_proj.weight"), w.tensor("v_proj.bias"));
        this.outProj = new Linear(w.tensor("out_proj.weight"), w.tensor("out_proj.bias"));
        this.heads = heads;
    }

    Tensor forward(Tensor q, Tensor k, Tensor v) {
        Tensor qh = separate(qProj.forward(q));
        Tensor kh = separate(kProj.forward(k));
        Tensor vh = separate(vProj.forward(v));
        double d = qh.size(3);
        Tensor attn = torch.softmax(qh.matmul(kh.permute(0, 1, 3, 2)).div(new Scalar(Math.sqrt(d))), -1);
        Tensor out = attn.matmul(vh);
        long b = out.size(0);
        long n = out.size(2);
        return outProj.forward(out.transpose(1, 2).reshape(b, n, heads * out.size(3)));
    }

    private Tensor separate(Tensor x) {
        long b = x.size(0);
        long n = x.size(1);
        long c = x.size(2);
        return x.reshape(b, n, heads, c / heads).transpose(1, 2);
    }
}

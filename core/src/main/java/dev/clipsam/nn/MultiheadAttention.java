package dev.clipsam.nn;

import org.bytedeco.pytorch.Tensor;

/**
 * torch's {@code nn.MultiheadAttention} with a packed input projection, as CLIP uses it: {@code qkv = x W_inᵀ +
 * b_in} split into q | k | v, heads of {@code width / heads} channels in order, {@code softmax(q kᵀ / √d) v}
 * ({@link Attention}), heads concatenated, output projection. Batch first.
 */
public final class MultiheadAttention {

    private final Linear inProj;
    private final Linear outProj;
    private final int heads;

    public MultiheadAttention(Linear inProj, Linear outProj, int heads) {
        this.inProj = inProj;
        this.outProj = outProj;
        this.heads = heads;
    }

    /**
     * @param x      {@code [B, N, C]}
     * @param causal whether position i attends only to 0..i (CLIP's text tower)
     */
    public Tensor forward(Tensor x, boolean causal) {
        long b = x.size(0);
        long n = x.size(1);
        long c = inProj.inFeatures();
        Tensor qkv = inProj.forward(x).view(b, n, 3, heads, c / heads).permute(2, 0, 3, 1, 4);
        Tensor attended = Attention.scaledDotProduct(qkv.select(0, 0), qkv.select(0, 1), qkv.select(0, 2), causal,
                Double.NaN);
        return outProj.forward(attended.transpose(1, 2).reshape(b, n, c));
    }
}

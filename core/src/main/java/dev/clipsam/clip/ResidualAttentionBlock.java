package dev.clipsam.clip;

import dev.clipsam.io.Weights;
import dev.clipsam.nn.Activation;
import dev.clipsam.nn.LayerNorm;
import dev.clipsam.nn.Linear;
import dev.clipsam.nn.MultiheadAttention;
import dev.clipsam.nn.Precision;
import org.bytedeco.pytorch.Tensor;

/**
 * One pre-LayerNorm transformer block (OpenAI clip/model.py {@code ResidualAttentionBlock}):
 * {@code x = x + attn(ln_1(x)); x = x + c_proj(act(c_fc(ln_2(x))))}.
 */
final class ResidualAttentionBlock {

    private static final double EPS = 1e-5;

    private final LayerNorm ln1;
    private final MultiheadAttention attn;
    private final LayerNorm ln2;
    private final Linear fc;
    private final Linear proj;
    private final Activation activation;

    ResidualAttentionBlock(Weights w, int heads, Activation activation, Precision precision) {
        this.ln1 = new LayerNorm(w.tensor("ln_1.weight"), w.tensor("ln_1.bias"), EPS);
        Weights a = w.child("attn");
        this.attn = new MultiheadAttention(
                Linear.load(a, "in_proj_weight", "in_proj_bias", precision),
                Linear.load(a, "out_proj.weight", "out_proj.bias", precision), heads);
        this.ln2 = new LayerNorm(w.tensor("ln_2.weight"), w.tensor("ln_2.bias"), EPS);
        this.fc = Linear.load(w, "mlp.c_fc.weight", "mlp.c_fc.bias", precision);
        this.proj = Linear.load(w, "mlp.c_proj.weight", "mlp.c_proj.bias", precision);
        this.activation = activation;
    }

    /** @param x residual stream {@code [B, N, C]} (float32) */
    Tensor forward(Tensor x, boolean causal) {
        x = x.add(attn.forward(ln1.forward(x), causal));
        return x.add(proj.forward(activation.apply(fc.forward(ln2.forward(x)))));
    }
}

package dev.clipsam.clip;

import dev.clipsam.io.Weights;
import dev.clipsam.nn.Activation;
import dev.clipsam.nn.LayerNorm;
import dev.clipsam.nn.Precision;
import dev.clipsam.nn.Tensors;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * CLIP's text tower (OpenAI clip/model.py {@code CLIP.encode_text}): token embedding plus positional embedding,
 * causal residual blocks, {@code ln_final}, the row at the end-of-text token (the first position of the largest
 * id), text projection.
 */
public final class TextTransformer {

    private static final double EPS = 1e-5;

    private final Tensor tokenEmbedding;
    private final Tensor positionalEmbedding;
    private final Transformer transformer;
    private final LayerNorm lnFinal;
    private final Tensor textProjection;

    TextTransformer(Weights w, ClipConfig config, Activation activation, Precision precision) {
        this.tokenEmbedding = w.tensor("token_embedding.weight");
        this.positionalEmbedding = w.tensor("positional_embedding");
        this.transformer = new Transformer(w.child("transformer"), config.transformerLayers(),
                config.transformerHeads(), activation, precision.unquantized());
        this.lnFinal = new LayerNorm(w.tensor("ln_final.weight"), w.tensor("ln_final.bias"), EPS);
        this.textProjection = w.tensor("text_projection");
    }

    /** {@code token_embedding[ids] + positional_embedding} for the first {@code ids.size(1)} positions. */
    public Tensor embed(Tensor ids) {
        return torch.embedding(tokenEmbedding, ids).add(positionalEmbedding.narrow(0, 0, ids.size(1)));
    }

    /** The residual stream after the wanted blocks (1-based), over all positions of {@code ids}. */
    public Map<Integer, Tensor> residualStream(Tensor ids, int... blocks) {
        return transformer.forward(embed(ids), true, blocks);
    }

    /** {@code ln_final(x)} at each row's end-of-text position, {@code [N, width]}. */
    public Tensor endOfText(Tensor residual, Tensor ids) {
        long n = ids.size(0);
        long length = ids.size(1);
        Tensor eot = ids.argmax(new org.bytedeco.pytorch.LongOptional(-1), false);
        Tensor rows = torch.arange(new org.bytedeco.pytorch.Scalar(n), Tensors.options(ScalarType.Long));
        Tensor flat = rows.mul(new org.bytedeco.pytorch.Scalar(length)).add(eot);
        return lnFinal.forward(residual.reshape(n * length, residual.size(2)).index_select(0, flat));
    }

    /**
     * Text features {@code [N, embed]} (not normalised) of token ids {@code [N, context]}.
     *
     * <p>Attention is causal, so nothing after the last end-of-text token of the batch can change the result:
     * the sequence is cut there, which for short prompts skips most of the 77 positions.
     */
    public Tensor encode(Tensor ids) {
        long used = ids.argmax(new org.bytedeco.pytorch.LongOptional(-1), false).max().item_long() + 1;
        Tensor cut = ids.narrow(1, 0, used).contiguous();
        Tensor x = transformer.forward(embed(cut), true);
        return endOfText(x, cut).matmul(textProjection);
    }

    public Tensor project(Tensor endOfText) {
        return endOfText.matmul(textProjection);
    }
}

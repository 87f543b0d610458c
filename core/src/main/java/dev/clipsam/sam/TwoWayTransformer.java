package dev.clipsam.sam;

import dev.clipsam.io.Weights;
import dev.clipsam.nn.Activation;
import dev.clipsam.nn.LayerNorm;
import dev.clipsam.nn.Linear;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * SAM's two-way transformer (transformer.py {@code TwoWayTransformer} and {@code TwoWayAttentionBlock}): prompt
 * tokens and image tokens attend to each other in both directions, then the tokens attend to the image once
 * more. LayerNorm eps 1e-5; the MLP uses ReLU; the first layer's self-attention has no positional encoding and no
 * residual.
 */
final class TwoWayTransformer {

    private static final double EPS = 1e-5;

    /** Output: the processed tokens {@code [B, T, 256]} and image tokens {@code [B, HW, 256]}. */
    record Output(Tensor queries, Tensor keys) {
    }

    private final List<Block> layers = new ArrayList<>();
    private final DecoderAttention finalAttn;
    private final LayerNorm normFinal;

    TwoWayTransformer(Weights w) {
        for (int i = 0; i < SamConfig.DECODER_DEPTH; i++) {
            layers.add(new Block(w.child("layers").child(i), i == 0));
        }
        this.finalAttn = new DecoderAttention(w.child("final_attn_token_to_image"), SamConfig.DECODER_HEADS);
        this.normFinal = norm(w.child("norm_final_attn"));
    }

    /**
     * @param image    {@code [B, 256, h, w]}
     * @param imagePe  {@code [B, 256, h, w]}
     * @param tokens   {@code [B, T, 256]}
     */
    Output forward(Tensor image, Tensor imagePe, Tensor tokens) {
        Tensor keys = image.flatten(2, -1).permute(0, 2, 1);
        Tensor keyPe = imagePe.flatten(2, -1).permute(0, 2, 1);
        Tensor queries = tokens;
        for (Block layer : layers) {
            Tensor[] qk = layer.forward(queries, keys, tokens, keyPe);
            queries = qk[0];
            keys = qk[1];
        }
        Tensor attnOut = finalAttn.forward(queries.add(tokens), keys.add(keyPe), keys);
        return new Output(normFinal.forward(queries.add(attnOut)), keys);
    }

    private static LayerNorm norm(Weights w) {
        return new LayerNorm(w.tensor("weight"), w.tensor("bias"), EPS);
    }

    /** {@code TwoWayAttentionBlock}: self-attention, token→image, MLP, image→token. */
    private static final class Block {
        private final DecoderAttention selfAttn;
        private final LayerNorm norm1;
        private final DecoderAttention tokenToImage;
        private final LayerNorm norm2;
        private final Linear lin1;
        private final Linear lin2;
        private final LayerNorm norm3;
        private final LayerNorm norm4;
        private final DecoderAttention imageToToken;
        private final boolean skipFirstLayerPe;

        Block(Weights w, boolean skipFirstLayerPe) {
            this.selfAttn = new DecoderAttention(w.child("self_attn"), SamConfig.DECODER_HEADS);
            this.norm1 = norm(w.child("norm1"));
            this.tokenToImage = new DecoderAttention(w.child("cross_attn_token_to_image"), SamConfig.DECODER_HEADS);
            this.norm2 = norm(w.child("norm2"));
            this.lin1 = new Linear(w.tensor("mlp.lin1.weight"), w.tensor("mlp.lin1.bias"));
            this.lin2 = new Linear(w.tensor("mlp.lin2.weight"), w.tensor("mlp.lin2.bias"));
            this.norm3 = norm(w.child("norm3"));
            this.norm4 = norm(w.child("norm4"));
            this.imageToToken = new DecoderAttention(w.child("cross_attn_image_to_token"), SamConfig.DECODER_HEADS);
            this.skipFirstLayerPe = skipFirstLayerPe;
        }

        Tensor[] forward(Tensor queries, Tensor keys, Tensor queryPe, Tensor keyPe) {
            if (skipFirstLayerPe) {
                queries = selfAttn.forward(queries, queries, queries);
            } else {
                Tensor q = queries.add(queryPe);
                queries = queries.add(selfAttn.forward(q, q, queries));
            }
            queries = norm1.forward(queries);
            Tensor q = queries.add(queryPe);
            Tensor k = keys.add(keyPe);
            queries = norm2.forward(queries.add(tokenToImage.forward(q, k, keys)));
            queries = norm3.forward(queries.add(lin2.forward(Activation.RELU.apply(lin1.forward(queries)))));
            q = queries.add(queryPe);
            k = keys.add(keyPe);
            keys = norm4.forward(keys.add(imageToToken.forward(k, q, queries)));
            return new Tensor[] {queries, keys};
        }
    }
}

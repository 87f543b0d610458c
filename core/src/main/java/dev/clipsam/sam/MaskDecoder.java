package dev.clipsam.sam;

import dev.clipsam.io.Weights;
import dev.clipsam.nn.Activation;
import dev.clipsam.nn.LayerNorm2d;
import dev.clipsam.nn.Linear;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * SAM's mask decoder (mask_decoder.py {@code MaskDecoder}): an IoU token and four mask tokens join the prompt
 * tokens, the two-way transformer runs over them and the image embedding, the image tokens are upscaled 4x by two
 * transposed convolutions, and each mask token's hypernetwork MLP turns it into weights for the upscaled features.
 * An MLP on the IoU token predicts each mask's quality. {@code multimask} returns masks 1..3, otherwise mask 0.
 */
public final class MaskDecoder {

    /** Decoder outputs for a batch of prompts. */
    public record Output(Tensor lowResLogits, Tensor iouPredictions, Tensor tokens, Tensor hyperIn, Tensor iouAll) {
    }

    private final TwoWayTransformer transformer;
    private final Tensor outputTokens;
    private final Tensor up0Weight;
    private final Tensor up0Bias;
    private final LayerNorm2d up1;
    private final Tensor up3Weight;
    private final Tensor up3Bias;
    private final List<List<Linear>> hypernetworks = new ArrayList<>();
    private final List<Linear> iouHead;

    MaskDecoder(Weights w) {
        this.transformer = new TwoWayTransformer(w.child("transformer"));
        Tensor tokens = torch.cat(new TensorVector(w.tensor("iou_token.weight"), w.tensor("mask_tokens.weight")), 0);
        tokens.retainReference();
        this.outputTokens = tokens;
        Weights up = w.child("output_upscaling");
        this.up0Weight = up.tensor("0.weight");
        this.up0Bias = up.tensor("0.bias");
        this.up1 = new LayerNorm2d(up.tensor("1.weight"), up.tensor("1.bias"), 1e-6);
        this.up3Weight = up.tensor("3.weight");
        this.up3Bias = up.tensor("3.bias");
        for (int i = 0; i <= SamConfig.MULTIMASK_OUTPUTS; i++) {
            hypernetworks.add(mlp(w.child("output_hypernetworks_mlps").child(i).child("layers"), 3));
        }
        this.iouHead = mlp(w.child("iou_prediction_head").child("layers"), SamConfig.IOU_HEAD_DEPTH);
    }

    private static List<Linear> mlp(Weights w, int layers) {
        List<Linear> out = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            out.add(new Linear(w.tensor(i + ".weight"), w.tensor(i + ".bias")));
        }
        return out;
    }

    /** {@code MLP}: ReLU between layers, none after the last. */
    private static Tensor runMlp(List<Linear> layers, Tensor x) {
        for (int i = 0; i < layers.size(); i++) {
            x = layers.get(i).forward(x);
            if (i < layers.size() - 1) {
                x = Activation.RELU.apply(x);
            }
        }
        return x;
    }

    /**
     * @param imageEmbedding {@code [1, 256, 64, 64]}, shared by every prompt of the batch
     * @param imagePe        {@code [1, 256, 64, 64]}
     * @param sparse         {@code [B, T, 256]}
     * @param dense          {@code [B, 256, 64, 64]}
     */
    public Output forward(Tensor imageEmbedding, Tensor imagePe, Tensor sparse, Tensor dense, boolean multimask) {
        long b = sparse.size(0);
        Tensor tokens = torch.cat(new TensorVector(outputTokens.unsqueeze(0).expand(b, -1, -1), sparse), 1);
        Tensor src = imageEmbedding.expand(b, -1, -1, -1).add(dense);
        Tensor pos = imagePe.expand(b, -1, -1, -1);
        long c = src.size(1);
        long h = src.size(2);
        long w = src.size(3);
        TwoWayTransformer.Output out = transformer.forward(src, pos, tokens);
        Tensor hs = out.queries();
        Tensor iouToken = hs.select(1, 0);
        int maskTokens = SamConfig.MULTIMASK_OUTPUTS + 1;
        Tensor image = out.keys().transpose(1, 2).reshape(b, c, h, w);
        Tensor upscaled = torch.conv_transpose2d(image, up0Weight, new TensorOptional(up0Bias), new long[] {2, 2},
                new long[] {0, 0}, new long[] {0, 0}, 1, 1, 1);
        upscaled = Activation.GELU.apply(up1.forward(upscaled));
        upscaled = Activation.GELU.apply(torch.conv_transpose2d(upscaled, up3Weight, new TensorOptional(up3Bias),
                new long[] {2, 2}, new long[] {0, 0}, new long[] {0, 0}, 1, 1, 1));
        TensorVector hyper = new TensorVector();
        for (int i = 0; i < maskTokens; i++) {
            hyper.push_back(runMlp(hypernetworks.get(i), hs.select(1, 1 + i)));
        }
        Tensor hyperIn = torch.stack(hyper, 1);
        long uc = upscaled.size(1);
        long uh = upscaled.size(2);
        long uw = upscaled.size(3);
        Tensor masks = hyperIn.matmul(upscaled.view(b, uc, uh * uw)).view(b, -1, uh, uw);
        Tensor iou = runMlp(iouHead, iouToken);
        long first = multimask ? 1 : 0;
        long count = multimask ? SamConfig.MULTIMASK_OUTPUTS : 1;
        return new Output(masks.narrow(1, first, count), iou.narrow(1, first, count), hs, hyperIn, iou);
    }
}

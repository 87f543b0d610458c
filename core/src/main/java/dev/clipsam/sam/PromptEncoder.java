package dev.clipsam.sam;

import dev.clipsam.io.Weights;
import dev.clipsam.nn.Activation;
import dev.clipsam.nn.Conv2d;
import dev.clipsam.nn.LayerNorm2d;
import dev.clipsam.nn.Tensors;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * SAM's prompt encoder (prompt_encoder.py {@code PromptEncoder}). Sparse: points and box corners, shifted to pixel
 * centres (+0.5), encoded by position plus a learned embedding per kind (negative point, positive point, box
 * corner 1, box corner 2; label -1 = padding point: encoding replaced by {@code not_a_point_embed}); a padding
 * point is appended when points come without a box. Dense: a low-res mask through two strided convolutions, or
 * {@code no_mask_embed} everywhere.
 */
public final class PromptEncoder {

    private static final double EPS = 1e-6;

    private final PositionEmbeddingRandom pe;
    private final Tensor[] pointEmbeddings = new Tensor[4];
    private final Tensor notAPoint;
    private final Tensor noMask;
    private final Conv2d mask0;
    private final LayerNorm2d mask1;
    private final Conv2d mask3;
    private final LayerNorm2d mask4;
    private final Conv2d mask6;
    private final Tensor densePe;

    PromptEncoder(Weights w) {
        this.pe = new PositionEmbeddingRandom(w.tensor("pe_layer.positional_encoding_gaussian_matrix"));
        for (int i = 0; i < 4; i++) {
            pointEmbeddings[i] = w.tensor("point_embeddings." + i + ".weight");
        }
        this.notAPoint = w.tensor("not_a_point_embed.weight");
        this.noMask = w.tensor("no_mask_embed.weight");
        Weights m = w.child("mask_downscaling");
        this.mask0 = new Conv2d(m.tensor("0.weight"), m.tensor("0.bias"), 2, 0);
        this.mask1 = new LayerNorm2d(m.tensor("1.weight"), m.tensor("1.bias"), EPS);
        this.mask3 = new Conv2d(m.tensor("3.weight"), m.tensor("3.bias"), 2, 0);
        this.mask4 = new LayerNorm2d(m.tensor("4.weight"), m.tensor("4.bias"), EPS);
        this.mask6 = new Conv2d(m.tensor("6.weight"), m.tensor("6.bias"), 1, 0);
        Tensor dense = pe.dense(SamConfig.GRID, SamConfig.GRID).unsqueeze(0).contiguous();
        dense.retainReference();
        this.densePe = dense;
    }

    /** {@code get_dense_pe()}: {@code [1, 256, 64, 64]}. */
    public Tensor densePositionalEncoding() {
        return densePe;
    }

    /**
     * Sparse embeddings {@code [B, T, 256]}: points (and the padding point when there is no box), then the box
     * corners.
     *
     * @param points {@code [B, N, 2]} in the 1024 input frame, or null
     * @param labels {@code [B, N]} 1 positive, 0 negative, -1 padding; null with points
     * @param boxes  {@code [B, 4]} x0, y0, x1, y1 in the input frame, or null
     */
    public Tensor sparse(Tensor points, Tensor labels, Tensor boxes) {
        TensorVector parts = new TensorVector();
        if (points != null) {
            parts.push_back(embedPoints(points, labels, boxes == null));
        }
        if (boxes != null) {
            parts.push_back(embedBoxes(boxes));
        }
        if (parts.size() == 0) {
            return Tensors.empty(ScalarType.Float, 1, 0, SamConfig.PROMPT_EMBED_DIM);
        }
        return parts.size() == 1 ? parts.get(0) : torch.cat(parts, 1);
    }

    /** Dense embeddings {@code [B, 256, 64, 64]}: the encoded mask, or {@code no_mask_embed} broadcast. */
    public Tensor dense(Tensor maskInput, long batch) {
        if (maskInput != null) {
            Tensor x = Activation.GELU.apply(mask1.forward(mask0.forward(maskInput)));
            x = Activation.GELU.apply(mask4.forward(mask3.forward(x)));
            return mask6.forward(x);
        }
        return noMask.reshape(1, -1, 1, 1).expand(batch, -1, SamConfig.GRID, SamConfig.GRID);
    }

    private Tensor embedPoints(Tensor points, Tensor labels, boolean pad) {
        Tensor p = points.to(ScalarType.Float).add(new Scalar(0.5));
        Tensor l = labels.to(ScalarType.Long);
        if (pad) {
            long b = p.size(0);
            p = torch.cat(new TensorVector(p, torch.zeros(new long[] {b, 1, 2}, Tensors.options(ScalarType.Float))), 1);
            l = torch.cat(new TensorVector(l, torch.full(new long[] {b, 1}, new Scalar(-1),
                    Tensors.options(ScalarType.Long))), 1);
        }
        Tensor e = pe.encodeCoords(p, SamConfig.IMAGE_SIZE, SamConfig.IMAGE_SIZE);
        Tensor isPad = l.eq(new Scalar(-1)).unsqueeze(-1);
        Tensor isNeg = l.eq(new Scalar(0)).unsqueeze(-1).to(ScalarType.Float);
        Tensor isPos = l.eq(new Scalar(1)).unsqueeze(-1).to(ScalarType.Float);
        e = torch.where(isPad, notAPoint.expand(e.size(0), e.size(1), -1), e);
        return e.add(isNeg.mul(pointEmbeddings[0])).add(isPos.mul(pointEmbeddings[1]));
    }

    private Tensor embedBoxes(Tensor boxes) {
        Tensor corners = boxes.to(ScalarType.Float).add(new Scalar(0.5)).reshape(-1, 2, 2);
        Tensor e = pe.encodeCoords(corners, SamConfig.IMAGE_SIZE, SamConfig.IMAGE_SIZE);
        Tensor cornerEmbedding = torch.cat(new TensorVector(pointEmbeddings[2], pointEmbeddings[3]), 0).unsqueeze(0);
        return e.add(cornerEmbedding);
    }
}

package dev.clipsam.sam;

import dev.clipsam.io.Weights;
import dev.clipsam.nn.Activation;
import dev.clipsam.nn.LayerNorm;
import dev.clipsam.nn.Linear;
import dev.clipsam.nn.Precision;
import dev.clipsam.nn.RowChunks;
import dev.clipsam.nn.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * One block of SAM's image encoder (image_encoder.py {@code Block}): {@code x + attn(norm1(x))} with the normed
 * tokens split into 14x14 windows (zero-padded to a multiple of 14 after the norm) unless the block is global,
 * then {@code x + mlp(norm2(x))} with exact GELU. LayerNorm eps 1e-6.
 */
final class ImageEncoderBlock {

    private static final double EPS = 1e-6;

    private final LayerNorm norm1;
    private final RelPosAttention attn;
    private final LayerNorm norm2;
    private final Linear lin1;
    private final Linear lin2;
    private final int windowSize;

    /** @param windowSize 0 for global attention */
    ImageEncoderBlock(Weights w, int heads, int windowSize, Precision precision) {
        this.norm1 = new LayerNorm(w.tensor("norm1.weight"), w.tensor("norm1.bias"), EPS);
        this.attn = new RelPosAttention(w.child("attn"), heads, precision);
        this.norm2 = new LayerNorm(w.tensor("norm2.weight"), w.tensor("norm2.bias"), EPS);
        this.lin1 = Linear.load(w, "mlp.lin1.weight", "mlp.lin1.bias", precision);
        this.lin2 = Linear.load(w, "mlp.lin2.weight", "mlp.lin2.bias", precision);
        this.windowSize = windowSize;
    }

    /** @param x {@code [B, H, W, C]} float32 */
    Tensor forward(Tensor x) {
        Tensor h = norm1.forward(x);
        if (windowSize > 0) {
            long height = x.size(1);
            long width = x.size(2);
            long padH = (windowSize - height % windowSize) % windowSize;
            long padW = (windowSize - width % windowSize) % windowSize;
            // The projections run on the image's tokens only: a padded token is zero after the norm, so its q, k and
            // v are the biases, and its output is cropped before the output projection (image_encoder.py projects
            // the padding too; the result is the same, with 16 % fewer products at 64 x 64 tokens).
            RelPosAttention.Projected p = attn.project(h);
            Tensor out = attn.attend(partition(p.q(), padH, padW, attn.qBias()),
                    partition(p.k(), padH, padW, attn.kBias()), partition(p.v(), padH, padW, attn.vBias()));
            h = attn.output(unpartition(out, x.size(0), height + padH, width + padW, height, width));
        } else {
            h = attn.forward(h);
        }
        x = x.add(h);
        long c = x.size(3);
        Tensor tokens = norm2.forward(x).reshape(-1, c);
        Tensor mlp = RowChunks.apply(tokens, lin1.outFeatures(),
                rows -> lin2.forward(Activation.GELU.apply(lin1.forward(rows))));
        return x.add(mlp.view(Tensors.shape(x)));
    }

    /**
     * {@code window_partition} of projected tokens: pad bottom/right with what the projection gives a zero token (the
     * bias, added after zero padding), then {@code [B·nWindows, ws, ws, C]}.
     *
     * @param unbiased tokens times the weights, without the bias
     */
    private Tensor partition(Tensor unbiased, long padH, long padW, Tensor bias) {
        Tensor x = unbiased;
        if (padH > 0 || padW > 0) {
            x = torch.constant_pad_nd(x, new long[] {0, 0, 0, padW, 0, padH});
        }
        if (bias != null) {
            x = x.add(bias);
        }
        long b = x.size(0);
        long hp = x.size(1);
        long wp = x.size(2);
        long c = x.size(3);
        return x.view(b, hp / windowSize, windowSize, wp / windowSize, windowSize, c).permute(0, 1, 3, 2, 4, 5)
                .contiguous().view(-1, windowSize, windowSize, c);
    }

    /** {@code window_unpartition}: back to {@code [B, Hp, Wp, C]}, padding cropped. */
    private Tensor unpartition(Tensor windows, long b, long hp, long wp, long h, long w) {
        Tensor x = windows.view(b, hp / windowSize, wp / windowSize, windowSize, windowSize, -1)
                .permute(0, 1, 3, 2, 4, 5).contiguous().view(b, hp, wp, -1);
        if (hp > h || wp > w) {
            x = x.narrow(1, 0, h).narrow(2, 0, w).contiguous();
        }
        return x;
    }
}

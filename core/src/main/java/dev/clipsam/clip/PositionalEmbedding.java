package dev.clipsam.clip;

import org.bytedeco.pytorch.InterpolateFuncOptions;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.kBicubic;

/**
 * Resizing a ViT positional embedding to another patch grid, as open_clip's {@code resize_pos_embed} (used by
 * APRIL-GAN to run ViT-L/14@336 at 518 px: grid 24 to 37) does: the class-token row is kept, the grid rows are
 * resized with antialiased bicubic interpolation ({@code align_corners=False}). With antialias torch uses
 * Pillow's cubic (a = -0.5) with renormalised border taps, even when upsampling.
 */
public final class PositionalEmbedding {

    private PositionalEmbedding() {
    }

    /**
     * @param positional {@code [1 + g*g, C]} with the grid in row-major (y, x) order
     * @return {@code [1 + rows*cols, C]}
     */
    public static Tensor resize(Tensor positional, int rows, int cols) {
        long tokens = positional.size(0);
        long channels = positional.size(1);
        int grid = (int) Math.round(Math.sqrt(tokens - 1));
        if (grid * grid + 1 != tokens) {
            throw new IllegalArgumentException("positional embedding of " + tokens + " rows is not 1 + a square grid");
        }
        if (rows == grid && cols == grid) {
            return positional;
        }
        Tensor cls = positional.narrow(0, 0, 1);
        Tensor image = positional.narrow(0, 1, tokens - 1).reshape(1, grid, grid, channels).permute(0, 3, 1, 2);
        InterpolateFuncOptions options = new InterpolateFuncOptions();
        options.size().put(new LongVector(rows, cols));
        options.mode().put(new kBicubic());
        options.align_corners().put(false);
        options.antialias().put(true);
        Tensor resized = torch.interpolate(image, options).permute(0, 2, 3, 1).reshape((long) rows * cols, channels);
        return torch.cat(new TensorVector(cls, resized), 0);
    }
}

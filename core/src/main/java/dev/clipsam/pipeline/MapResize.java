package dev.clipsam.pipeline;

import dev.clipsam.nn.Tensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InterpolateFuncOptions;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.kBilinear;

/** Brings a map on the S x S grid (the image squashed to a square) back to the image's own size. */
public final class MapResize {

    private MapResize() {
    }

    /** Bilinear, align_corners=False: {@code [S, S]} to {@code [height, width]}, row-major. */
    public static float[] toImage(float[] map, int grid, int height, int width) {
        if (grid == height && grid == width) {
            return map.clone();
        }
        try (PointerScope scope = new PointerScope()) {
            Tensor x = Tensors.fromFloats(map, 1, 1, grid, grid);
            InterpolateFuncOptions options = new InterpolateFuncOptions();
            options.size().put(new LongVector(height, width));
            options.mode().put(new kBilinear());
            options.align_corners().put(false);
            return Tensors.toFloats(torch.interpolate(x, options));
        }
    }
}

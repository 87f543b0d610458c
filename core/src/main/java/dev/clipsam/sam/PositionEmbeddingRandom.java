package dev.clipsam.sam;

import dev.clipsam.nn.Tensors;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Random-Fourier positional encoding of SAM's prompt encoder (prompt_encoder.py {@code PositionEmbeddingRandom}):
 * coordinates in [0, 1] are mapped to {@code 2c - 1}, projected by a fixed Gaussian matrix {@code G [2, 128]}
 * (row 0 multiplies x), scaled by 2π and encoded as {@code [sin, cos]}.
 */
final class PositionEmbeddingRandom {

    private final Tensor gaussian;

    PositionEmbeddingRandom(Tensor gaussian) {
        this.gaussian = gaussian;
    }

    /** @param coords {@code [..., 2]} (x, y) normalised to [0, 1]; returns {@code [..., 256]} */
    Tensor encode(Tensor coords) {
        Tensor c = coords.mul(new Scalar(2.0)).sub(new Scalar(1.0)).matmul(gaussian).mul(new Scalar(2 * Math.PI));
        return torch.cat(new TensorVector(torch.sin(c), torch.cos(c)), -1);
    }

    /** Points in pixels of the padded input frame ({@code [B, N, 2]}, x then y), divided by its width and height. */
    Tensor encodeCoords(Tensor coords, int inputHeight, int inputWidth) {
        Tensor scale = Tensors.fromFloats(new float[] {inputWidth, inputHeight}, 2);
        return encode(coords.to(ScalarType.Float).div(scale));
    }

    /** The dense encoding {@code [256, h, w]} of pixel centres ({@code (j + 0.5) / w, (i + 0.5) / h}). */
    Tensor dense(int h, int w) {
        Tensor grid = torch.ones(new long[] {h, w}, Tensors.options(ScalarType.Float));
        Tensor y = grid.cumsum(0).sub(new Scalar(0.5)).div(new Scalar(h));
        Tensor x = grid.cumsum(1).sub(new Scalar(0.5)).div(new Scalar(w));
        return encode(torch.stack(new TensorVector(x, y), -1)).permute(2, 0, 1);
    }
}

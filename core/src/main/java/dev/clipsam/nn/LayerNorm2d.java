package dev.clipsam.nn;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * SAM's {@code LayerNorm2d} (segment_anything/modeling/common.py): normalises NCHW tensors over channels per pixel
 * with the biased variance, {@code (x - mean) / sqrt(var + eps) * w + b}, op for op as the reference.
 */
public final class LayerNorm2d {

    private final Tensor weight;
    private final Tensor bias;
    private final double eps;

    public LayerNorm2d(Tensor weight, Tensor bias, double eps) {
        this.weight = weight.view(-1, 1, 1);
        this.bias = bias.view(-1, 1, 1);
        this.eps = eps;
    }

    public Tensor forward(Tensor x) {
        Tensor in = x.to(ScalarType.Float);
        Tensor u = in.mean(new long[] {1}, true, new org.bytedeco.pytorch.ScalarTypeOptional());
        Tensor centred = in.sub(u);
        Tensor s = centred.pow(new Scalar(2.0)).mean(new long[] {1}, true, new org.bytedeco.pytorch.ScalarTypeOptional());
        return centred.div(s.add(new Scalar(eps)).sqrt()).mul(weight).add(bias);
    }
}

package dev.clipsam.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** LayerNorm over the last dimension (biased variance), always computed in float32. */
public final class LayerNorm {

    private final Tensor weight;
    private final Tensor bias;
    private final double eps;

    public LayerNorm(Tensor weight, Tensor bias, double eps) {
        this.weight = weight;
        this.bias = bias;
        this.eps = eps;
    }

    public Tensor forward(Tensor x) {
        return torch.layer_norm(x.to(ScalarType.Float), new long[] {weight.size(0)}, new TensorOptional(weight),
                new TensorOptional(bias), eps, false);
    }
}

package dev.clipsam.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** {@code y = x Wᵀ + b}; the input is cast to the weight's dtype. */
public final class Linear {

    private final Tensor weight;
    private final Tensor bias;

    /** @param bias may be null */
    public Linear(Tensor weight, Tensor bias) {
        this.weight = weight;
        this.bias = bias;
    }

    public Tensor forward(Tensor x) {
        Tensor in = Tensors.castLike(x, weight);
        return bias == null ? torch.linear(in, weight) : torch.linear(in, weight, new TensorOptional(bias));
    }

    public Tensor weight() {
        return weight;
    }

    public Tensor bias() {
        return bias;
    }

    public long inFeatures() {
        return weight.size(1);
    }

    public long outFeatures() {
        return weight.size(0);
    }
}

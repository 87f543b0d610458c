package dev.clipsam.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** 2-D convolution, NCHW; the input is cast to the weight's dtype. */
public final class Conv2d {

    private final Tensor weight;
    private final Tensor bias;
    private final long stride;
    private final long padding;

    /** @param bias may be null */
    public Conv2d(Tensor weight, Tensor bias, long stride, long padding) {
        this.weight = weight;
        this.bias = bias;
        this.stride = stride;
        this.padding = padding;
    }

    public Tensor forward(Tensor x) {
        TensorOptional b = bias == null ? new TensorOptional() : new TensorOptional(bias);
        return torch.conv2d(Tensors.castLike(x, weight), weight, b, new long[] {stride, stride},
                new long[] {padding, padding}, new long[] {1, 1}, 1);
    }

    public Tensor weight() {
        return weight;
    }
}

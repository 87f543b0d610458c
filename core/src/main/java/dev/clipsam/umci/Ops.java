package dev.clipsam.umci;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** The differentiable building blocks of the heads, each as the reference defines it (our reference implementation, docs/DESIGN.md §3). */
final class Ops {

    static {
        dev.clipsam.nn.TorchRuntime.ensureInitialised();
    }

    private Ops() {
    }

    /** {@code y[b, :, i, j] = W x[b, :, i, j] + b} on {@code [B, C, H, W]}. */
    static Tensor pixelLinear(Tensor x, Tensor weight, Tensor bias) {
        return torch.linear(x.permute(0, 2, 3, 1), weight, new TensorOptional(bias)).permute(0, 3, 1, 2);
    }

    /** {@code Linear} on the last axis. */
    static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        return torch.linear(x, weight, new TensorOptional(bias));
    }

    /** 3x3 convolution, stride 1, zero padding 1, with bias. */
    static Tensor conv3x3(Tensor x, Tensor weight, Tensor bias) {
        return torch.conv2d(x, weight, new TensorOptional(bias), new long[] {1, 1}, new long[] {1, 1},
                new long[] {1, 1}, 1);
    }

    /** Conv1d, kernel 3, stride 1, zero padding 1, with bias, on {@code [B, C, L]}. */
    static Tensor conv1d3(Tensor x, Tensor weight, Tensor bias) {
        return torch.conv1d(x, weight, new TensorOptional(bias), new long[] {1}, new long[] {1}, new long[] {1}, 1);
    }

    /** Single-head {@code softmax(Q Kᵀ / √d) V}, no projections. */
    static Tensor attention(Tensor q, Tensor k, Tensor v) {
        double d = q.size(-1);
        return torch.softmax(q.matmul(k.transpose(-2, -1)).div(new Scalar(Math.sqrt(d))), -1).matmul(v);
    }

    /** {@code F.normalize}: {@code x / max(‖x‖₂, 1e-12)} along {@code dim}. */
    static Tensor l2normalize(Tensor x, long dim) {
        return x.div(x.norm(new ScalarOptional(new Scalar(2.0)), new long[] {dim}, true).clamp_min(new Scalar(1e-12)));
    }

    /** Bilinear resize of {@code [B, C, h, w]} (no antialias). */
    static Tensor bilinear(Tensor x, long h, long w, boolean alignCorners) {
        return torch.upsample_bilinear2d(x, new long[] {h, w}, alignCorners);
    }
}

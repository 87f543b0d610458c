package dev.clipsam.nn;

import dev.clipsam.io.Weights;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@code y = x Wᵀ + b}. In fp32 and bf16 the input is cast to the weight's dtype and libtorch's {@code linear}
 * runs. In {@link Precision#INT8} the layer is dynamically quantized: symmetric int8 weights with one scale per
 * output channel, packed once at load for fbgemm, the float input quantized per call to uint8 (one scale and zero
 * point for the whole input, from its min and max), int32 accumulation, float output. fbgemm's packed path takes
 * one weight scale per tensor; the per-channel scales are applied to its output instead (the weights are
 * quantized as {@code round(W / s)} per row, fbgemm runs with scale 1, the output channel is multiplied by
 * {@code s}), which is the same arithmetic.
 */
public final class Linear {

    /**
     * Quantized weights are symmetric in [-63, 63]: fbgemm's AVX2 kernels add pairs of u8 x s8 products in 16 bits
     * (vpmaddubsw), which saturates for |w| above 64 with activations up to 255; 7 bits keep every CPU exact.
     */
    private static final int WEIGHT_LEVELS = 63;

    private final Tensor weight;
    private final Tensor bias;
    private final Int8 int8;

    /**
     * The quantized form: {@code shape} is an int8 tensor of the weight's shape with no storage of its own (fbgemm
     * reads only the shape from it), {@code scaledBias} is {@code b / channelScale}.
     */
    private record Int8(Tensor shape, Tensor packed, Tensor columnOffsets, Tensor channelScale, Tensor scaledBias,
            Tensor zeroBias) {
    }

    /** Whether an int8 product has run in this process (the first one runs without libtorch's warnings). */
    private static volatile boolean int8Ran;

    /** @param bias may be null */
    public Linear(Tensor weight, Tensor bias) {
        this.weight = weight;
        this.bias = bias;
        this.int8 = null;
    }

    private Linear(Tensor bias, Int8 int8) {
        this.weight = null;
        this.bias = bias;
        this.int8 = int8;
    }

    /** The layer {@code weightName}/{@code biasName} of {@code w} in {@code precision}. */
    public static Linear load(Weights w, String weightName, String biasName, Precision precision) {
        return loadSplit(w, weightName, biasName, 1, precision).get(0);
    }

    /**
     * A packed projection as {@code parts} layers of equal height (rows {@code 0..n/parts} are the first, as
     * {@code qkv.reshape(..., parts, ...)} splits them).
     */
    public static List<Linear> loadSplit(Weights w, String weightName, String biasName, int parts,
            Precision precision) {
        Tensor weight = w.tensor(weightName, precision.compute());
        Tensor bias = w.tensor(biasName, precision.compute());
        long rows = weight.size(0) / parts;
        List<Linear> layers = new ArrayList<>(parts);
        for (int i = 0; i < parts; i++) {
            Tensor bi = parts == 1 ? bias : bias.narrow(0, i * rows, rows);
            if (precision.quantized()) {
                layers.add(quantize(w, weight, i * rows, rows, bi));
            } else {
                layers.add(new Linear(parts == 1 ? weight : weight.narrow(0, i * rows, rows), bi));
            }
        }
        if (precision.quantized()) {
            w.free(weight); // nothing else refers to it: the slices quantized from it were scoped
        }
        return layers;
    }

    private static Linear quantize(Weights owner, Tensor rowsOf, long first, long count, Tensor bias) {
        return TorchRuntime.withoutWarnings(() -> quantizeRows(owner, rowsOf, first, count, bias));
    }

    private static Linear quantizeRows(Weights owner, Tensor rowsOf, long first, long count, Tensor bias) {
        try (PointerScope scope = new PointerScope()) {
            Tensor weight = rowsOf.narrow(0, first, count);
            Tensor channelScale = weight.abs().amax(new long[] {1}, true).clamp_min(new Scalar(1e-30f))
                    .div(new Scalar(WEIGHT_LEVELS));
            Tensor q = weight.div(channelScale).round().clamp(new ScalarOptional(new Scalar(-WEIGHT_LEVELS)),
                    new ScalarOptional(new Scalar(WEIGHT_LEVELS))).to(ScalarType.Char).contiguous();
            // fbgemm's column offsets: the sum of each output channel's quantized weights (zero point 0)
            Tensor columnOffsets = q.sum(new long[] {1}, false, new ScalarTypeOptional(ScalarType.Int)).contiguous();
            Tensor packed = torch.fbgemm_pack_quantized_matrix(q);
            Tensor shape = torch.zeros(new long[] {1, 1}, Tensors.options(ScalarType.Char))
                    .expand(weight.size(0), weight.size(1));
            Tensor perRow = channelScale.view(-1);
            Int8 int8 = new Int8(kept(owner, shape), kept(owner, packed), kept(owner, columnOffsets),
                    kept(owner, perRow.contiguous()), kept(owner, bias.div(perRow).contiguous()),
                    kept(owner, torch.zeros_like(bias)));
            return new Linear(bias, int8);
        }
    }

    private static Tensor kept(Weights owner, Tensor t) {
        t.retainReference();
        return owner.own(t);
    }

    public Tensor forward(Tensor x) {
        if (int8 != null) {
            return int8Forward(x, int8.scaledBias());
        }
        Tensor in = Tensors.castLike(x, weight);
        return bias == null ? torch.linear(in, weight) : torch.linear(in, weight, new TensorOptional(bias));
    }

    /** {@code x Wᵀ}, the bias left out (the caller adds it where it belongs). */
    public Tensor forwardWithoutBias(Tensor x) {
        if (int8 != null) {
            return int8Forward(x, int8.zeroBias());
        }
        return torch.linear(Tensors.castLike(x, weight), weight);
    }

    private Tensor int8Forward(Tensor x, Tensor fbgemmBias) {
        Tensor in = x.scalar_type().value == ScalarType.Float.value ? x : x.to(ScalarType.Float);
        if (!int8Ran) {
            int8Ran = true;
            return TorchRuntime.withoutWarnings(() -> int8Product(in, fbgemmBias));
        }
        return int8Product(in, fbgemmBias);
    }

    private Tensor int8Product(Tensor in, Tensor fbgemmBias) {
        // weight scale 1 and zero point 0: the weights are round(W / s) per row, s applied to the output
        Tensor y = torch.fbgemm_linear_int8_weight_fp32_activation(in, int8.shape(), int8.packed(),
                int8.columnOffsets(), new Scalar(1.0), new Scalar(0L), fbgemmBias);
        return y.mul_(int8.channelScale());
    }

    /** @return the bias, or null */
    public Tensor bias() {
        return bias;
    }

    public boolean quantized() {
        return int8 != null;
    }

    public long inFeatures() {
        return int8 != null ? int8.shape().size(1) : weight.size(1);
    }

    public long outFeatures() {
        return int8 != null ? int8.shape().size(0) : weight.size(0);
    }
}

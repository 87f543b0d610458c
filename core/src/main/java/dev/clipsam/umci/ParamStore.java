package dev.clipsam.umci;

import dev.clipsam.io.Checkpoint;
import dev.clipsam.io.CheckpointException;
import dev.clipsam.io.TensorInfo;
import dev.clipsam.nn.Tensors;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The trainable parameters of a head by name, in module order. A module asks for each parameter by name and shape;
 * the store either takes it from a checkpoint (shapes must agree) or initialises it the way torch's modules do, from
 * a seeded generator. Parameters are float32 leaves with {@code requires_grad}; they live outside any
 * {@code PointerScope} until {@link #close}.
 */
public final class ParamStore implements AutoCloseable {

    /** How torch initialises a parameter. */
    public enum Init {
        /** {@code nn.Linear} / {@code nn.ConvNd} weight: kaiming_uniform(a=√5) = U(−1/√fan_in, 1/√fan_in). */
        FAN_IN_UNIFORM,
        /** GRU weights and biases: U(−1/√hidden, 1/√hidden); fan given by the caller as the last dimension. */
        HIDDEN_UNIFORM
    }

    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private final Checkpoint source;
    private final SplittableRandom random;

    private ParamStore(Checkpoint source, long seed) {
        this.source = source;
        this.random = new SplittableRandom(seed);
    }

    /** New parameters, initialised from {@code seed}. */
    public static ParamStore initialised(long seed) {
        return new ParamStore(null, seed);
    }

    /** Parameters read from a checkpoint (e.g. a trained head's safetensors). */
    public static ParamStore from(Checkpoint checkpoint) {
        return new ParamStore(checkpoint, 0);
    }

    /**
     * The parameter {@code name} of {@code shape}.
     *
     * @param fanIn the fan used by the initialiser (ignored when loading)
     */
    public Tensor get(String name, long[] shape, Init init, long fanIn) {
        if (params.containsKey(name)) {
            throw new IllegalStateException("parameter " + name + " requested twice");
        }
        Tensor t;
        try (PointerScope scope = new PointerScope()) {
            if (source != null) {
                TensorInfo info = source.find(name).orElseThrow(() -> new CheckpointException(source.path(),
                        "has no head parameter " + name + " (another head type or configuration?)"));
                if (!Arrays.equals(info.shape(), shape)) {
                    throw new CheckpointException(source.path(), "head parameter " + name + " has shape "
                            + Arrays.toString(info.shape()) + ", the configuration needs " + Arrays.toString(shape)
                            + " (trained for another CLIP or head size?)");
                }
                t = source.loadFinite(name, ScalarType.Float);
            } else {
                double bound = 1.0 / Math.sqrt(fanIn);
                long n = 1;
                for (long s : shape) {
                    n *= s;
                }
                float[] values = new float[Math.toIntExact(n)];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
                }
                t = Tensors.fromFloats(values, shape);
            }
            t.requires_grad_(true);
            t.retainReference();
        }
        params.put(name, t);
        return t;
    }

    /** A bias or weight initialised like the weight of the same layer ({@code bound = 1/√fan_in}). */
    public Tensor get(String name, long[] shape, long fanIn) {
        return get(name, shape, Init.FAN_IN_UNIFORM, fanIn);
    }

    /** Every parameter, in module order. */
    public Map<String, Tensor> all() {
        return Collections.unmodifiableMap(params);
    }

    /** Parameters in the checkpoint that no module asked for. */
    public java.util.List<String> unused() {
        if (source == null) {
            return java.util.List.of();
        }
        return source.tensors().stream().map(TensorInfo::name).filter(n -> !params.containsKey(n)).toList();
    }

    public long count() {
        return params.values().stream().mapToLong(Tensor::numel).sum();
    }

    @Override
    public void close() {
        params.values().forEach(Tensor::releaseReference);
        params.clear();
    }
}

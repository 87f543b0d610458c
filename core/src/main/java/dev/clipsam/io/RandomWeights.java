package dev.clipsam.io;

import dev.clipsam.nn.Tensors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Random weights with the shapes of a real architecture, for benchmarks that must not need a download. Values
 * are N(0, std) with {@code std = 1 / sqrt(fan_in)} (the last dimension), small enough to keep activations
 * finite through deep towers; LayerNorm gains are 1. Deterministic for a seed.
 */
public final class RandomWeights implements TensorSource {

    private final Map<String, long[]> shapes;
    private final long seed;

    public RandomWeights(Map<String, long[]> shapes, long seed) {
        this.shapes = new LinkedHashMap<>(shapes);
        this.seed = seed;
    }

    @Override
    public Path path() {
        return Path.of("<random weights>");
    }

    @Override
    public List<TensorInfo> tensors() {
        List<TensorInfo> out = new ArrayList<>();
        shapes.forEach((name, shape) -> out.add(new TensorInfo(name, DType.FLOAT32, shape,
                TensorInfo.contiguousStrides(shape), 0, name)));
        return out;
    }

    @Override
    public boolean contains(String name) {
        return shapes.containsKey(name);
    }

    @Override
    public long[] shape(String name) {
        return shapes.get(name).clone();
    }

    @Override
    public Tensor load(String name, ScalarType dtype) {
        long[] shape = shapes.get(name);
        if (shape == null) {
            throw new CheckpointException(path(), "has no tensor " + name);
        }
        Tensor t;
        boolean norm = name.contains("ln") || name.contains("norm");
        if (norm && name.endsWith("weight")) {
            t = torch.ones(shape, Tensors.options(ScalarType.Float));
        } else {
            Generator generator = torch.make_generator_cpu(seed * 1_000_003L + name.hashCode());
            t = torch.randn(shape, new GeneratorOptional(generator), Tensors.options(ScalarType.Float));
            double fanIn = shape.length == 0 ? 1 : shape[shape.length - 1];
            t = t.mul(new org.bytedeco.pytorch.Scalar(norm ? 0.02 : 1.0 / Math.sqrt(fanIn)));
        }
        return dtype.value == ScalarType.Float.value ? t : t.to(dtype);
    }
}

package dev.clipsam.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipsam.io.RandomWeights;
import dev.clipsam.io.TensorInfo;
import dev.clipsam.io.TensorSource;
import dev.clipsam.io.Weights;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

/** The int8 linear layer against float32 on the same weights. */
class LinearTest {

    private static final long IN = 96;
    private static final long OUT = 48;

    /**
     * Rows whose magnitudes span four orders (as trained projections' channels can): with one scale for the whole
     * weight the small rows would round to zero; with a scale per output channel every channel keeps its own
     * relative error. The split form (SAM's packed qkv) quantizes each part on its own.
     */
    @Test
    void int8KeepsEveryOutputChannelWithinThreePercent() {
        try (PointerScope scope = new PointerScope()) {
            Tensor rowScale = torch.pow(new Scalar(10.0), torch.linspace(new Scalar(-4), new Scalar(0), OUT))
                    .view(OUT, 1);
            RandomWeights random = new RandomWeights(Map.of("w", new long[] {OUT, IN}, "b", new long[] {OUT}), 11);
            Tensor weight = random.load("w", ScalarType.Float).mul(rowScale);
            Tensor bias = random.load("b", ScalarType.Float);
            TensorSource source = new InMemory(Map.of("fc.weight", weight, "fc.bias", bias));
            Linear fp32 = Linear.load(new Weights(source), "fc.weight", "fc.bias", Precision.FP32);
            Weights owner = new Weights(source);
            Linear int8 = Linear.load(owner, "fc.weight", "fc.bias", Precision.INT8);
            List<Linear> parts = Linear.loadSplit(new Weights(source), "fc.weight", "fc.bias", 3, Precision.INT8);
            assertTrue(int8.quantized() && !fp32.quantized());
            assertEquals(IN, int8.inFeatures());
            assertEquals(OUT, int8.outFeatures());
            assertEquals(OUT / 3, parts.get(2).outFeatures());

            Tensor x = torch.randn(7, 5, IN);
            Tensor want = fp32.forward(x);
            Tensor got = int8.forward(x);
            assertEquals(List.of(7L, 5L, OUT), List.of(got.size(0), got.size(1), got.size(2)));
            Tensor split = torch.cat(new TensorVector(parts.get(0).forward(x), parts.get(1).forward(x),
                    parts.get(2).forward(x)), 2);
            // the bias is exact: the difference without it is the same
            Tensor unbiased = int8.forwardWithoutBias(x).add(bias);
            assertTrue(Tensors.toFloats(got.sub(unbiased).abs().max())[0] < 1e-5, "bias added exactly");
            for (Tensor result : List.of(got, split)) {
                float[] diff = Tensors.toFloats(result.sub(want).reshape(-1, OUT).pow(new Scalar(2)).sum(0).sqrt());
                float[] norm = Tensors.toFloats(fp32.forwardWithoutBias(x).reshape(-1, OUT).pow(new Scalar(2))
                        .sum(0).sqrt());
                for (int c = 0; c < OUT; c++) {
                    double rel = diff[c] / norm[c];
                    assertTrue(rel < 3e-2 && rel > 1e-5, "channel " + c + ": relative L2 " + rel);
                }
            }
            // the float32 weight is freed once quantized: only the int8 layer's own tensors remain
            assertTrue(owner.loaded().stream().noneMatch(t -> t.scalar_type().value == ScalarType.Float.value
                    && t.dim() == 2 && t.size(1) == IN), "no float32 copy of the weight is kept");
        }
    }

    /** Tensors by name, for a layer built from given values. */
    private record InMemory(Map<String, Tensor> values) implements TensorSource {

        @Override
        public Path path() {
            return Path.of("in-memory");
        }

        @Override
        public List<TensorInfo> tensors() {
            return List.of();
        }

        @Override
        public boolean contains(String name) {
            return values.containsKey(name);
        }

        @Override
        public long[] shape(String name) {
            return Tensors.shape(values.get(name));
        }

        @Override
        public Tensor load(String name, ScalarType dtype) {
            return values.get(name).to(dtype).clone();
        }
    }
}

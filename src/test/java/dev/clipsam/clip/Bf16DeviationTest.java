package dev.clipsam.clip;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipsam.nn.Activation;
import dev.clipsam.nn.Precision;
import dev.clipsam.nn.Tensors;
import dev.clipsam.testing.Fixtures;
import java.nio.file.Path;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/**
 * bf16 is a speed option, not the reference: its distance from fp32 on the fixture model is measured here and
 * printed, and bounded so that a broken bf16 path (or one that silently runs fp32) fails.
 */
class Bf16DeviationTest {

    @Test
    void bf16StaysWithinThreePercentOfFp32OnTheFixtureModel() {
        Path dir = Fixtures.suite("clip");
        Path file = dir.resolve("model/tiny-clip-openai.pt");
        try (ClipModel fp32 = ClipModel.load(file, new ClipModel.Options(Precision.FP32, Activation.QUICK_GELU));
                ClipModel bf16 = ClipModel.load(file, new ClipModel.Options(Precision.BF16, Activation.QUICK_GELU));
                PointerScope scope = new PointerScope()) {
            Tensor images = Fixtures.npy(dir.resolve("vision_tokens_quickgelu/input_large.npy")).toTensor();
            for (int block = 1; block <= 4; block++) {
                double err = relativeL2(fp32.visual().forward(images, block).block(block),
                        bf16.visual().forward(images, block).block(block));
                System.out.printf("bf16 vs fp32, tiny CLIP at 98 px, block %d tokens: relative L2 %.2e%n", block, err);
                assertTrue(err > 1e-5, "bf16 must really run in bf16 (error " + err + ")");
                assertTrue(err < 3e-2, "bf16 too far from fp32 at block " + block + ": " + err);
            }
            Tensor text = fp32.encodeText(Fixtures.npy(dir.resolve("text_features/ids.npy")).toTensor());
            Tensor textBf16 = bf16.encodeText(Fixtures.npy(dir.resolve("text_features/ids.npy")).toTensor());
            double err = relativeL2(text, textBf16);
            System.out.printf("bf16 vs fp32, tiny CLIP text features: relative L2 %.2e%n", err);
            assertTrue(err > 1e-5 && err < 3e-2, "text features: " + err);
        }
    }

    static double relativeL2(Tensor reference, Tensor other) {
        float[] a = Tensors.toFloats(reference);
        float[] b = Tensors.toFloats(other);
        double d = 0;
        double r = 0;
        for (int i = 0; i < a.length; i++) {
            d += Math.pow(a[i] - b[i], 2);
            r += Math.pow(a[i], 2);
        }
        return Math.sqrt(d / r);
    }
}

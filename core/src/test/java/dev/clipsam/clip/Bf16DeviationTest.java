package dev.clipsam.clip;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipsam.nn.Activation;
import dev.clipsam.nn.Precision;
import dev.clipsam.nn.Tensors;
import dev.clipsam.testing.TinyModels;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/**
 * bf16 is a speed option, not the reference: its distance from fp32 on the fixture model (random images, a few
 * prompts) is measured here and printed, and bounded so that a broken bf16 path (or one that silently runs fp32) fails.
 */
class Bf16DeviationTest {

    @Test
    void bf16StaysWithinThreePercentOfFp32OnTheFixtureModel() {
        Path file = TinyModels.clipTorchScript();
        int size = TinyModels.clipImageSize();
        try (ClipModel fp32 = ClipModel.load(file, new ClipModel.Options(Precision.FP32, Activation.QUICK_GELU));
                ClipModel bf16 = ClipModel.load(file, new ClipModel.Options(Precision.BF16, Activation.QUICK_GELU));
                PointerScope scope = new PointerScope()) {
            float[] noise = new float[2 * 3 * size * size];
            Random random = new Random(3);
            for (int i = 0; i < noise.length; i++) {
                noise[i] = (float) random.nextGaussian();
            }
            Tensor images = Tensors.fromFloats(noise, 2, 3, size, size);
            for (int block = 1; block <= fp32.visual().layers(); block++) {
                double err = relativeL2(fp32.visual().forward(images, block).block(block),
                        bf16.visual().forward(images, block).block(block));
                System.out.printf("bf16 vs fp32, tiny CLIP at %d px, block %d tokens: relative L2 %.2e%n", size, block,
                        err);
                assertTrue(err > 1e-5, "bf16 must really run in bf16 (error " + err + ")");
                assertTrue(err < 3e-2, "bf16 too far from fp32 at block " + block + ": " + err);
            }
            long[] ids = ClipTokenizer.openai().tokenize(List.of("a photo of a damaged bottle.", "flawless metal nut",
                    "a close-up photo of a scratched screw."), 77);
            Tensor text = fp32.encodeText(Tensors.fromLongs(ids, 3, 77));
            Tensor textBf16 = bf16.encodeText(Tensors.fromLongs(ids, 3, 77));
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

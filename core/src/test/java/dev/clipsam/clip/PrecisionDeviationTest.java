package dev.clipsam.clip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipsam.nn.Activation;
import dev.clipsam.nn.Precision;
import dev.clipsam.nn.Tensors;
import dev.clipsam.testing.Close;
import dev.clipsam.testing.TinyModels;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * bf16 and int8 are speed options, not the reference: their distance from fp32 on the fixture model (random images,
 * a few prompts) is measured here and printed, and bounded so that a broken path (or one that silently runs fp32)
 * fails. int8 leaves the text tower in fp32, so its text features must equal fp32's exactly.
 */
class PrecisionDeviationTest {

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"BF16", "INT8"})
    void staysCloseToFp32OnTheFixtureModel(Precision precision) {
        // bf16 rounds every product's inputs to 8 significant bits; int8 quantizes each layer's whole input to 256
        // levels (about 1.5 % per layer, LinearTest), four layers per block
        double bound = precision.quantized() ? 8e-2 : 3e-2;
        Path file = TinyModels.clipTorchScript();
        int size = TinyModels.clipImageSize();
        String name = precision.name().toLowerCase(java.util.Locale.ROOT);
        try (ClipModel fp32 = ClipModel.load(file, new ClipModel.Options(Precision.FP32, Activation.QUICK_GELU));
                ClipModel bf16 = ClipModel.load(file, new ClipModel.Options(precision, Activation.QUICK_GELU));
                PointerScope scope = new PointerScope()) {
            float[] noise = new float[2 * 3 * size * size];
            Random random = new Random(3);
            for (int i = 0; i < noise.length; i++) {
                noise[i] = (float) random.nextGaussian();
            }
            Tensor images = Tensors.fromFloats(noise, 2, 3, size, size);
            for (int block = 1; block <= fp32.visual().layers(); block++) {
                double err = Close.relativeL2(Tensors.toFloats(fp32.visual().forward(images, block).block(block)),
                        Tensors.toFloats(bf16.visual().forward(images, block).block(block)));
                System.out.printf("%s vs fp32, tiny CLIP at %d px, block %d tokens: relative L2 %.2e%n", name, size,
                        block, err);
                assertTrue(err > 1e-5, name + " must really run in " + name + " (error " + err + ")");
                assertTrue(err < bound, name + " too far from fp32 at block " + block + ": " + err);
            }
            long[] ids = ClipTokenizer.openai().tokenize(List.of("a photo of a damaged bottle.", "flawless metal nut",
                    "a close-up photo of a scratched screw."), 77);
            Tensor text = fp32.encodeText(Tensors.fromLongs(ids, 3, 77));
            Tensor textBf16 = bf16.encodeText(Tensors.fromLongs(ids, 3, 77));
            double err = Close.relativeL2(Tensors.toFloats(text), Tensors.toFloats(textBf16));
            System.out.printf("%s vs fp32, tiny CLIP text features: relative L2 %.2e%n", name, err);
            if (precision.quantized()) {
                assertEquals(0.0, err, "the text tower is not quantized");
            } else {
                assertTrue(err > 1e-5 && err < 3e-2, "text features: " + err);
            }
        }
    }
}

package dev.clipsam.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which files of a folder are images to predict, and the names of their outputs. */
class InputImagesTest {

    private static void touch(Path root, String... files) throws IOException {
        for (String f : files) {
            Path p = root.resolve(f);
            Files.createDirectories(p.getParent());
            Files.write(p, new byte[] {1});
        }
    }

    private static List<String> names(List<InputImages.Input> inputs) {
        return inputs.stream().map(InputImages.Input::name).toList();
    }

    @Test
    void groundTruthAndOwnOutputsAreNeverInputs(@TempDir Path root) throws IOException {
        touch(root, "bottle/test/good/000.png", "bottle/test/broken/001.png",
                "bottle/ground_truth/broken/001_mask.png",                     // MVTec AD
                "candle/Data/Images/Anomaly/000.JPG", "candle/Data/Masks/Anomaly/000.png",   // VisA
                "MT_Crack/Imgs/exp1_num_1.jpg", "MT_Crack/Imgs/exp1_num_1.png",             // MTD
                "ksdd2/test/10000.png", "ksdd2/test/10000_GT.png",                          // KSDD2
                "out/bottle/test/good/000_overlay.png");                                      // a run's outputs
        List<InputImages.Input> inputs = InputImages.collect(List.of(root), root.resolve("out"));
        assertEquals(List.of("MT_Crack/Imgs/exp1_num_1", "bottle/test/broken/001", "bottle/test/good/000",
                "candle/Data/Images/Anomaly/000", "ksdd2/test/10000"), names(inputs));
        assertEquals("bottle", inputs.get(1).className(), "a dataset layout's class folder names the prompts");
        assertEquals(null, inputs.get(0).className());
        List<InputImages.Input> one = InputImages.collect(List.of(root.resolve("bottle")), null);
        assertEquals("bottle", one.get(0).className(), "a class folder given itself");
    }

    @Test
    void imagesOfOneStemGetTheirExtensionInTheirNames(@TempDir Path root) throws IOException {
        touch(root, "a.png", "a.tif", "b.bmp");
        assertEquals(List.of("a_png", "a_tif", "b"), names(InputImages.collect(List.of(root), null)));
    }

    @Test
    void missingInputsAndEmptyFoldersAreNamed(@TempDir Path root) throws IOException {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> InputImages.collect(List.of(root.resolve("none.png")), null));
        assertTrue(missing.getMessage().endsWith("none.png: file not found"));
        Files.createDirectories(root.resolve("empty"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> InputImages.collect(List.of(root.resolve(
                "empty")), null)).getMessage().contains("no images"));
    }
}

package dev.clipsam.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipsam.image.Image8;
import dev.clipsam.image.ImageFiles;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dataset layouts, their problems, and the image kinds masks come in. */
class DatasetTest {

    @Test
    void mvtecLayoutWithEveryKindOfProblem(@TempDir Path root) throws IOException {
        Path bottle = root.resolve("bottle");
        rgb(bottle.resolve("test/good/000.png"), 40, 30);
        rgb(bottle.resolve("test/broken_large/000.png"), 40, 30);
        grey(bottle.resolve("ground_truth/broken_large/000_mask.png"), 40, 30, 255);
        rgb(bottle.resolve("test/broken_large/001.png"), 40, 30);                   // no mask
        grey(bottle.resolve("ground_truth/broken_large/007_mask.png"), 40, 30, 255); // no image
        rgb(bottle.resolve("test/contamination/000.png"), 40, 30);
        grey(bottle.resolve("ground_truth/contamination/000_mask.png"), 20, 30, 255); // wrong size
        Files.writeString(bottle.resolve("test/good/001.png"), "not a png");       // unreadable
        Files.createDirectories(root.resolve("cable/test/good"));                   // empty class
        Files.createDirectories(root.resolve("license_and_readme"));                // not a class

        Dataset d = DatasetFormat.MVTEC.scan(root);
        assertEquals(List.of("bottle", "cable"), d.classNames());
        List<Sample> s = d.samples("bottle");
        assertEquals(5, s.size());
        assertEquals(3, s.stream().filter(Sample::anomalous).count());
        Sample withMask = s.stream().filter(x -> x.image().endsWith("broken_large/000.png")).findFirst().orElseThrow();
        assertEquals(bottle.resolve("ground_truth/broken_large/000_mask.png"), withMask.mask());
        assertEquals("broken_large", withMask.defectType());
        List<String> problems = d.problems();
        assertTrue(has(problems, "broken_large/001.png: anomalous image without a mask"), problems.toString());
        assertTrue(has(problems, "007_mask.png: mask for an image that does not exist"), problems.toString());
        assertTrue(has(problems, "000_mask.png: mask is 20x30 but its image 000.png is 40x30"), problems.toString());
        assertTrue(has(problems, "good/001.png: is not an image"), problems.toString());
        assertTrue(has(problems, "cable: class has no images"), problems.toString());
        assertEquals(5, problems.size(), problems.toString());
    }

    @Test
    void missingOrForeignRootsAreOneLineErrors(@TempDir Path root) throws IOException {
        DatasetException missing = assertThrows(DatasetException.class,
                () -> DatasetFormat.MVTEC.scan(root.resolve("nope")));
        assertEquals(root.resolve("nope") + ": folder not found", missing.getMessage());
        Files.createDirectories(root.resolve("random/stuff"));
        DatasetException empty = assertThrows(DatasetException.class, () -> DatasetFormat.VISA.scan(root));
        assertEquals(root + ": no visa dataset found (expected split_csv/1cls.csv)", empty.getMessage());
    }

    @Test
    void visaReadsTheTestRowsOfItsSplitFile(@TempDir Path root) throws IOException {
        rgb(root.resolve("candle/Data/Images/Normal/0001.JPG"), 30, 20);
        rgb(root.resolve("candle/Data/Images/Anomaly/0002.JPG"), 30, 20);
        grey(root.resolve("candle/Data/Masks/Anomaly/0002.png"), 30, 20, 1);
        rgb(root.resolve("candle/Data/Images/Normal/0003.JPG"), 30, 20);
        Files.createDirectories(root.resolve("split_csv"));
        Files.writeString(root.resolve("split_csv/1cls.csv"), "object,split,label,image,mask\n"
                + "candle,train,normal,candle/Data/Images/Normal/0003.JPG,\n"
                + "candle,test,normal,candle/Data/Images/Normal/0001.JPG,\n"
                + "candle,test,anomaly,candle/Data/Images/Anomaly/0002.JPG,candle/Data/Masks/Anomaly/0002.png\n");
        Dataset d = DatasetFormat.VISA.scan(root);
        assertEquals(List.of("candle"), d.classNames());
        assertEquals(2, d.samples("candle").size());
        assertTrue(d.samples("candle").get(1).anomalous());
        assertEquals(List.of(), d.problems());
    }

    @Test
    void mtdAndKsdd2(@TempDir Path root) throws IOException {
        Path mtd = root.resolve("mtd");
        greyJpeg(mtd.resolve("MT_Free/Imgs/exp1_num_1.jpg"), 50, 40);
        greyJpeg(mtd.resolve("MT_Blowhole/Imgs/exp1_num_2.jpg"), 50, 40);
        grey(mtd.resolve("MT_Blowhole/Imgs/exp1_num_2.png"), 50, 40, 255);
        Dataset m = DatasetFormat.MTD.scan(mtd);
        assertEquals(List.of("magnetic_tile"), m.classNames());
        assertEquals(2, m.samples("magnetic_tile").size());
        assertEquals("blowhole", m.samples("magnetic_tile").get(0).defectType());
        assertEquals(List.of(), m.problems());

        Path ksdd = root.resolve("ksdd2");
        rgb(ksdd.resolve("test/10000.png"), 23, 63);
        grey(ksdd.resolve("test/10000_GT.png"), 23, 63, 0);          // empty mask: normal
        rgb(ksdd.resolve("test/10001.png"), 23, 63);
        grey(ksdd.resolve("test/10001_GT.png"), 23, 63, 255);
        Dataset k = DatasetFormat.KSDD2.scan(ksdd);
        List<Sample> s = k.samples("electrical_commutator");
        assertEquals(2, s.size());
        assertFalse(s.get(0).anomalous());
        assertNull(s.get(0).mask());
        assertTrue(s.get(1).anomalous());
    }

    @Test
    void masksIn16BitPaletteAndGreyJpegAreReadCorrectly(@TempDir Path dir) throws IOException {
        // 16-bit grey: value 1 (of 65535) is still a defect; Pillow-style 8-bit conversion would lose it.
        BufferedImage wide = new BufferedImage(4, 2, BufferedImage.TYPE_USHORT_GRAY);
        wide.getRaster().setSample(1, 0, 0, 1);
        wide.getRaster().setSample(2, 1, 0, 65535);
        Path p16 = dir.resolve("m16.png");
        ImageIO.write(wide, "png", p16.toFile());
        assertArrayEquals(new boolean[] {false, true, false, false, false, false, true, false},
                MaskFiles.onGrid(p16, 4, 2));

        byte[] red = {0, (byte) 255};
        byte[] zero = {0, 0};
        BufferedImage palette = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_INDEXED,
                new IndexColorModel(1, 2, red, zero, zero));
        palette.getRaster().setSample(2, 0, 0, 1);
        Path pal = dir.resolve("palette.png");
        ImageIO.write(palette, "png", pal.toFile());
        assertArrayEquals(new boolean[] {false, false, true}, MaskFiles.onGrid(pal, 3, 1));
        Image8 paletteImage = ImageFiles.read(pal);
        assertEquals(3, paletteImage.channels());
        assertEquals(255, paletteImage.get(0, 2, 0));

        Path jpg = dir.resolve("grey.jpg");
        greyJpeg(jpg, 8, 8);
        Image8 g = ImageFiles.read(jpg);
        assertEquals(1, g.channels());
        assertEquals(8, g.width());
    }

    @Test
    void masksAreResizedToTheGridAsAprilGanDoes(@TempDir Path dir) throws IOException {
        // A 4-wide mask, left half set, onto 2 columns. Pillow's bilinear shrink (support 2 px) gives column 0 the
        // taps 0, 1, 2 with weights 0.75, 0.75, 0.25 (normalised by 1.75): 255 * 1.5 / 1.75 = 218.6 -> 219 > 127.5;
        // column 1 gets 255 * 0.25 / 1.75 = 36 -> background.
        Path mask = dir.resolve("half.png");
        grey(mask, 4, 4, 255);
        assertArrayEquals(new boolean[] {true, false, true, false}, MaskFiles.onGrid(mask, 2, 2));
        Image8 resized = dev.clipsam.image.PillowResize.resize(MaskFiles.binary(mask), 2, 2,
                dev.clipsam.image.PillowResize.Filter.BILINEAR);
        assertEquals(219, resized.get(0, 0, 0));
        assertEquals(36, resized.get(0, 1, 0));
    }

    private static boolean has(List<String> problems, String text) {
        return problems.stream().anyMatch(p -> p.contains(text));
    }

    static void rgb(Path file, int w, int h) throws IOException {
        Files.createDirectories(file.getParent());
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        ImageIO.write(img, file.toString().toLowerCase().endsWith(".png") ? "png" : "jpg", file.toFile());
    }

    static void grey(Path file, int w, int h, int value) throws IOException {
        Files.createDirectories(file.getParent());
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w / 2; x++) {
                img.getRaster().setSample(x, y, 0, value);
            }
        }
        ImageIO.write(img, "png", file.toFile());
    }

    static void greyJpeg(Path file, int w, int h) throws IOException {
        Files.createDirectories(file.getParent());
        ImageIO.write(new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY), "jpg", file.toFile());
    }
}

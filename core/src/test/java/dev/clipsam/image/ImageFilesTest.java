package dev.clipsam.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bounded, strict decoding: huge images are refused from their header, truncated files are refused. */
class ImageFilesTest {

    /** A PNG that is nothing but a header claiming {@code w x h} pixels (no pixel data to decode). */
    private static byte[] pngHeader(int w, int h) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteBuffer ihdr = ByteBuffer.allocate(17).put(new byte[] {'I', 'H', 'D', 'R'}).putInt(w).putInt(h)
                .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        out.write(ByteBuffer.allocate(4).putInt(13).array());
        out.write(ihdr.array());
        CRC32 crc = new CRC32();
        crc.update(ihdr.array());
        out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        return out.toByteArray();
    }

    @Test
    void aHugeImageIsRefusedFromItsHeader(@TempDir Path dir) throws IOException {
        Path huge = Files.write(dir.resolve("huge.png"), pngHeader(12000, 12000));
        assertEquals(12000, ImageFiles.size(huge)[0]);
        ImageReadException e = assertThrows(ImageReadException.class, () -> ImageFiles.read(huge));
        assertTrue(e.getMessage().contains("is 12000 x 12000 pixels (144.0 MP), more than the limit of 40.0 MP"),
                e.getMessage());
    }

    @Test
    void aTruncatedJpegIsRefused(@TempDir Path dir) throws IOException {
        BufferedImage noise = new BufferedImage(96, 64, BufferedImage.TYPE_3BYTE_BGR);
        Random random = new Random(1);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 96; x++) {
                noise.setRGB(x, y, random.nextInt(0xffffff));
            }
        }
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        ImageIO.write(noise, "jpg", jpeg);
        Path whole = Files.write(dir.resolve("whole.jpg"), jpeg.toByteArray());
        assertEquals(96, ImageFiles.read(whole).width());
        Path cut = Files.write(dir.resolve("cut.jpg"), Arrays.copyOf(jpeg.toByteArray(), jpeg.size() * 2 / 3));
        ImageReadException e = assertThrows(ImageReadException.class, () -> ImageFiles.read(cut));
        assertTrue(e.getMessage().startsWith(cut + ": is truncated or corrupt"), e.getMessage());
    }

    /**
     * A CMYK JPEG as Pillow writes it (Adobe marker, inverted samples) decodes to the colours of Pillow's
     * {@code Image.open(f).convert("RGB")}: {@code cmyk-pillow-rgb.png}, written by Pillow 9.4 from the same file.
     */
    @Test
    void aCmykJpegDecodesToPillowsColours() throws Exception {
        byte[] jpeg;
        byte[] png;
        try (var a = ImageFilesTest.class.getResourceAsStream("cmyk-pillow.jpg");
                var b = ImageFilesTest.class.getResourceAsStream("cmyk-pillow-rgb.png")) {
            jpeg = a.readAllBytes();
            png = b.readAllBytes();
        }
        Image8 ours = ImageFiles.read(jpeg, "cmyk-pillow.jpg");
        Image8 pillow = ImageFiles.read(png, "cmyk-pillow-rgb.png");
        assertEquals(pillow.width(), ours.width());
        assertEquals(pillow.height(), ours.height());
        assertEquals(3, ours.channels());
        int worst = 0;
        double sum = 0;
        for (int i = 0; i < ours.data().length; i++) {
            int d = Math.abs((ours.data()[i] & 0xff) - (pillow.data()[i] & 0xff));
            worst = Math.max(worst, d);
            sum += d;
        }
        // the JDK's libjpeg and Pillow's libjpeg-turbo may differ by one level in the inverse DCT
        assertTrue(worst <= 2 && sum / ours.data().length < 0.5, "worst " + worst + ", mean "
                + sum / ours.data().length);
    }
}

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
}

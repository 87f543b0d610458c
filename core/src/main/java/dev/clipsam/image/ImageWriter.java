package dev.clipsam.image;

import dev.clipsam.io.AtomicFiles;
import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** PNG output, written under a temporary name and moved into place when complete. */
public final class ImageWriter {

    private ImageWriter() {
    }

    public static void writePng(Path file, Image8 image) throws IOException {
        writePng(file, toBufferedImage(image));
    }

    public static void writePng(Path file, BufferedImage image) throws IOException {
        AtomicFiles.write(file, tmp -> {
            if (!ImageIO.write(image, "png", tmp.toFile())) {
                throw new IOException("no PNG writer available");
            }
        });
    }

    /** An image as the bytes of a PNG file. */
    public static byte[] png(BufferedImage image) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, "png", out)) {
                throw new IOException("no PNG writer available");
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A binary mask as 8-bit grey: 255 inside, 0 outside. */
    public static Image8 maskImage(boolean[] mask, int width, int height) {
        byte[] grey = new byte[width * height];
        for (int i = 0; i < grey.length; i++) {
            grey[i] = mask[i] ? (byte) 255 : 0;
        }
        return new Image8(width, height, 1, grey);
    }

    /** A binary mask as an 8-bit grey PNG: 255 inside, 0 outside. */
    public static void writeMask(Path file, boolean[] mask, int width, int height) throws IOException {
        byte[] grey = new byte[width * height];
        for (int i = 0; i < grey.length; i++) {
            grey[i] = mask[i] ? (byte) 255 : 0;
        }
        writePng(file, new Image8(width, height, 1, grey));
    }

    public static BufferedImage toBufferedImage(Image8 image) {
        int type = switch (image.channels()) {
            case 1 -> BufferedImage.TYPE_BYTE_GRAY;
            case 3 -> BufferedImage.TYPE_3BYTE_BGR;
            default -> BufferedImage.TYPE_4BYTE_ABGR;
        };
        BufferedImage out = new BufferedImage(image.width(), image.height(), type);
        WritableRaster raster = out.getRaster();
        int[] pixel = new int[image.channels()];
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                for (int c = 0; c < pixel.length; c++) {
                    pixel[c] = image.get(y, x, c);
                }
                raster.setPixel(x, y, pixel);
            }
        }
        return out;
    }
}

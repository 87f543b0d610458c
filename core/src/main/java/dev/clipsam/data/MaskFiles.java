package dev.clipsam.data;

import dev.clipsam.image.Image8;
import dev.clipsam.image.ImageFiles;
import dev.clipsam.image.PillowResize;
import java.nio.file.Path;

/**
 * Ground-truth masks: any non-zero pixel is a defect (16-bit, palette and grey files alike), resized to the
 * evaluation grid as APRIL-GAN does: the binary mask as 0/255, Pillow bilinear resize, {@code > 0.5}.
 */
public final class MaskFiles {

    private MaskFiles() {
    }

    /** The mask at its own size as a 0/255 grey image: 255 where any colour channel is non-zero. */
    public static Image8 binary(Path file) {
        int[] size = ImageFiles.size(file);
        boolean[] on = ImageFiles.nonZero(file);
        byte[] out = new byte[on.length];
        for (int i = 0; i < on.length; i++) {
            out[i] = on[i] ? (byte) 255 : 0;
        }
        return new Image8(size[0], size[1], 1, out);
    }

    /**
     * Why a colour file is not a mask (a photo given as ground truth), or null: a mask's pixels are black or white,
     * so more than 1 % of pixels with differing channels or values other than 0 and 255 means it is something else.
     * Grey and palette files are taken as they are (any non-zero pixel is a defect).
     */
    public static String notAMask(Path file) {
        Image8 image = ImageFiles.read(file);
        if (image.channels() < 3) {
            return null;
        }
        byte[] d = image.data();
        int c = image.channels();
        long odd = 0;
        for (int i = 0; i < d.length; i += c) {
            int r = d[i] & 0xff;
            int g = d[i + 1] & 0xff;
            int b = d[i + 2] & 0xff;
            if (r != g || g != b || (r != 0 && r != 255)) {
                odd++;
            }
        }
        long pixels = (long) image.width() * image.height();
        if (odd * 100 > pixels) {
            return String.format(java.util.Locale.ROOT, "is not a mask: a colour image with %.0f %% of its pixels"
                    + " neither black nor white (a photo?)", 100.0 * odd / pixels);
        }
        return null;
    }

    public static boolean anyDefect(Path file) {
        for (byte b : binary(file).data()) {
            if (b != 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * The mask on a {@code width x height} grid: Pillow bilinear resize of the 0/255 mask, then {@code > 127.5}
     * (i.e. {@code /255 > 0.5}).
     *
     * @param file null for a normal image (all false)
     */
    public static boolean[] onGrid(Path file, int width, int height) {
        boolean[] out = new boolean[width * height];
        if (file == null) {
            return out;
        }
        Image8 mask = binary(file);
        Image8 resized = mask.width() == width && mask.height() == height ? mask
                : PillowResize.resize(mask, width, height, PillowResize.Filter.BILINEAR);
        byte[] d = resized.data();
        for (int i = 0; i < out.length; i++) {
            out[i] = (d[i] & 0xff) / 255f > 0.5f;
        }
        return out;
    }

}

package dev.clipsam.eval;

import dev.clipsam.image.ImageReadException;
import dev.clipsam.io.DType;
import dev.clipsam.io.Npy;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Anomaly maps on disk: {@code .npy} (float32 or float64, {@code [H, W]} or {@code [1, H, W]}, the values as they
 * are) or a single-channel PNG/TIFF (8-bit read as value/255, 16-bit as value/65535).
 */
public final class MapFiles {

    /** A map: row-major {@code height x width} scores. */
    public record AnomalyMap(int width, int height, float[] values) {
    }

    private MapFiles() {
    }

    public static boolean isMap(Path file) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".npy") || n.endsWith(".png") || n.endsWith(".tif") || n.endsWith(".tiff");
    }

    public static AnomalyMap read(Path file) {
        try {
            if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy")) {
                Npy npy = Npy.read(file);
                long[] s = npy.shape();
                if (!(s.length == 2 || (s.length == 3 && s[0] == 1))) {
                    throw new ImageReadException(file, "map must be [H, W] or [1, H, W], not "
                            + java.util.Arrays.toString(s));
                }
                int h = (int) s[s.length - 2];
                int w = (int) s[s.length - 1];
                float[] values;
                if (npy.dtype() == DType.FLOAT32) {
                    values = npy.floats();
                } else if (npy.dtype() == DType.FLOAT64) {
                    double[] d = new double[w * h];
                    npy.data().duplicate().order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(d);
                    values = new float[d.length];
                    for (int i = 0; i < d.length; i++) {
                        values[i] = (float) d[i];
                    }
                } else {
                    throw new ImageReadException(file, "map must be float32 or float64, not " + npy.dtype().displayName());
                }
                for (float v : values) {
                    if (Float.isNaN(v)) {
                        throw new ImageReadException(file, "map contains NaN");
                    }
                }
                return new AnomalyMap(w, h, values);
            }
            BufferedImage image = ImageIO.read(file.toFile());
            if (image == null) {
                throw new ImageReadException(file, "is not a readable map (npy, PNG or TIFF expected)");
            }
            Raster raster = image.getRaster();
            int bits = image.getColorModel().getComponentSize(0);
            double max = (1L << bits) - 1;
            int w = image.getWidth();
            int h = image.getHeight();
            int[] samples = raster.getSamples(0, 0, w, h, 0, (int[]) null);
            float[] values = new float[samples.length];
            for (int i = 0; i < samples.length; i++) {
                values[i] = (float) (samples[i] / max);
            }
            return new AnomalyMap(w, h, values);
        } catch (IOException e) {
            throw new ImageReadException(file, "cannot be read (" + e.getMessage() + ")", e);
        }
    }
}

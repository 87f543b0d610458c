package dev.clipsam.image;

/**
 * Pillow's {@code Image.resize} for 8-bit images, bit for bit (Pillow 9.4, {@code libImaging/Resample.c}).
 *
 * <p>Separable convolution with the filter stretched by the scale when shrinking (which antialiases), weights
 * normalised in double and turned into 22-bit fixed point, the horizontal pass first and stored as 8 bits, then
 * the vertical pass; a pass whose size does not change is skipped. RGBA is resized premultiplied, as Pillow
 * does. This is what torchvision's {@code Resize} runs on a PIL image, so CLIP's and SAM's reference
 * preprocessing go through exactly this; torch's own interpolation gives different pixels.
 */
public final class PillowResize {

    /** Resampling filters with their support (radius at scale 1). */
    public enum Filter {
        /** Triangle filter, support 1. */
        BILINEAR(1.0),
        /** Keys cubic with a = -0.5, support 2. */
        BICUBIC(2.0);

        private final double support;

        Filter(double support) {
            this.support = support;
        }

        double weight(double x) {
            if (x < 0.0) {
                x = -x;
            }
            if (this == BILINEAR) {
                return x < 1.0 ? 1.0 - x : 0.0;
            }
            final double a = -0.5;
            if (x < 1.0) {
                return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
            }
            if (x < 2.0) {
                return (((x - 5) * x + 8) * x - 4) * a;
            }
            return 0.0;
        }
    }

    private static final int PRECISION_BITS = 32 - 8 - 2;

    /** Fixed-point taps of one axis: for output {@code i}, inputs {@code min[i] .. min[i] + count[i]}. */
    private record Taps(int[] min, int[] count, int[] weights, int stride) {
    }

    private PillowResize() {
    }

    public static Image8 resize(Image8 in, int width, int height, Filter filter) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("target size must be positive: " + width + "x" + height);
        }
        if (in.channels() == 4) {
            return unpremultiply(resizePlanar(premultiply(in), width, height, filter));
        }
        return resizePlanar(in, width, height, filter);
    }

    private static Image8 resizePlanar(Image8 in, int width, int height, Filter filter) {
        Image8 out = in;
        if (width != in.width()) {
            out = horizontal(out, width, taps(in.width(), width, filter));
        }
        if (height != in.height()) {
            out = vertical(out, height, taps(in.height(), height, filter));
        }
        return out;
    }

    private static Taps taps(int inSize, int outSize, Filter filter) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = filter.support * filterScale;
        int stride = (int) Math.ceil(support) * 2 + 1;
        int[] min = new int[outSize];
        int[] count = new int[outSize];
        int[] weights = new int[outSize * stride];
        double[] w = new double[stride];
        for (int i = 0; i < outSize; i++) {
            double center = (i + 0.5) * scale;
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
            double sum = 0.0;
            for (int x = 0; x < xmax; x++) {
                w[x] = filter.weight((x + xmin - center + 0.5) / filterScale);
                sum += w[x];
            }
            for (int x = 0; x < xmax; x++) {
                double k = sum != 0.0 ? w[x] / sum : w[x];
                weights[i * stride + x] = (int) (k < 0 ? -0.5 + k * (1 << PRECISION_BITS) : 0.5 + k * (1 << PRECISION_BITS));
            }
            min[i] = xmin;
            count[i] = xmax;
        }
        return new Taps(min, count, weights, stride);
    }

    private static Image8 horizontal(Image8 in, int width, Taps taps) {
        int c = in.channels();
        int inWidth = in.width();
        byte[] src = in.data();
        byte[] dst = new byte[width * in.height() * c];
        for (int y = 0; y < in.height(); y++) {
            int rowIn = y * inWidth * c;
            int rowOut = y * width * c;
            for (int x = 0; x < width; x++) {
                int base = x * taps.stride;
                int first = taps.min[x];
                for (int ch = 0; ch < c; ch++) {
                    int acc = 1 << (PRECISION_BITS - 1);
                    for (int k = 0; k < taps.count[x]; k++) {
                        acc += (src[rowIn + (first + k) * c + ch] & 0xff) * taps.weights[base + k];
                    }
                    dst[rowOut + x * c + ch] = clip8(acc);
                }
            }
        }
        return new Image8(width, in.height(), c, dst);
    }

    private static Image8 vertical(Image8 in, int height, Taps taps) {
        int c = in.channels();
        int rowBytes = in.width() * c;
        byte[] src = in.data();
        byte[] dst = new byte[height * rowBytes];
        int[] acc = new int[rowBytes];
        for (int y = 0; y < height; y++) {
            java.util.Arrays.fill(acc, 1 << (PRECISION_BITS - 1));
            int base = y * taps.stride;
            for (int k = 0; k < taps.count[y]; k++) {
                int weight = taps.weights[base + k];
                int row = (taps.min[y] + k) * rowBytes;
                for (int i = 0; i < rowBytes; i++) {
                    acc[i] += (src[row + i] & 0xff) * weight;
                }
            }
            for (int i = 0; i < rowBytes; i++) {
                dst[y * rowBytes + i] = clip8(acc[i]);
            }
        }
        return new Image8(in.width(), height, c, dst);
    }

    private static byte clip8(int acc) {
        int v = acc >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }

    /** Pillow's RGBA to RGBa: {@code c * a / 255} rounded the way its MULDIV255 does. */
    private static Image8 premultiply(Image8 in) {
        byte[] d = in.data().clone();
        for (int i = 0; i < d.length; i += 4) {
            int a = d[i + 3] & 0xff;
            for (int c = 0; c < 3; c++) {
                int t = (d[i + c] & 0xff) * a + 128;
                d[i + c] = (byte) ((t + (t >> 8)) >> 8);
            }
        }
        return new Image8(in.width(), in.height(), 4, d);
    }

    /** Pillow's RGBa to RGBA. */
    private static Image8 unpremultiply(Image8 in) {
        byte[] d = in.data().clone();
        for (int i = 0; i < d.length; i += 4) {
            int a = d[i + 3] & 0xff;
            if (a == 0 || a == 255) {
                continue;
            }
            for (int c = 0; c < 3; c++) {
                d[i + c] = (byte) Math.min(255, 255 * (d[i + c] & 0xff) / a);
            }
        }
        return new Image8(in.width(), in.height(), 4, d);
    }
}

package dev.clipsam.image;

/**
 * An anomaly map drawn over its image in the "jet" colour scale (blue 0, green 0.5, red 1), on the absolute
 * scale [0, 1] so that maps of different images compare: a normal image stays blue.
 */
public final class HeatMap {

    private HeatMap() {
    }

    /**
     * @param image the picture, any channel count
     * @param map   row-major values at the image's size, clamped to [0, 1]
     * @param alpha weight of the colour (0 = image only, 1 = colour only)
     */
    public static Image8 over(Image8 image, float[] map, double alpha) {
        Image8 rgb = image.toRgb();
        int n = rgb.width() * rgb.height();
        if (map.length != n) {
            throw new IllegalArgumentException("map of " + map.length + " values for a " + rgb.width() + "x"
                    + rgb.height() + " image");
        }
        byte[] out = new byte[3 * n];
        byte[] in = rgb.data();
        int[] colour = new int[3];
        for (int k = 0; k < n; k++) {
            jet(map[k], colour);
            for (int c = 0; c < 3; c++) {
                double v = (in[3 * k + c] & 0xff) * (1 - alpha) + colour[c] * alpha;
                out[3 * k + c] = (byte) Math.round(v);
            }
        }
        return new Image8(rgb.width(), rgb.height(), 3, out);
    }

    /** The jet colour of {@code v} (clamped to [0, 1]) as 0..255 RGB. */
    public static void jet(float v, int[] rgb) {
        double t = Float.isNaN(v) ? 0 : Math.min(1, Math.max(0, v));
        rgb[0] = channel(1.5 - Math.abs(4 * t - 3));
        rgb[1] = channel(1.5 - Math.abs(4 * t - 2));
        rgb[2] = channel(1.5 - Math.abs(4 * t - 1));
    }

    private static int channel(double x) {
        return (int) Math.round(255 * Math.min(1, Math.max(0, x)));
    }
}

package dev.clipsam.image;

/**
 * An 8-bit image with interleaved channels, row-major: 1 channel (Pillow mode {@code L}), 3 ({@code RGB}) or
 * 4 ({@code RGBA}, straight alpha).
 *
 * @param width    columns
 * @param height   rows
 * @param channels 1, 3 or 4
 * @param data     {@code height * width * channels} bytes
 */
public record Image8(int width, int height, int channels, byte[] data) {

    public Image8 {
        if (channels != 1 && channels != 3 && channels != 4) {
            throw new IllegalArgumentException("channels must be 1, 3 or 4, not " + channels);
        }
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("empty image " + width + "x" + height);
        }
        if ((long) width * height * channels != data.length) {
            throw new IllegalArgumentException(data.length + " bytes for a " + width + "x" + height + "x" + channels
                    + " image");
        }
    }

    public int get(int y, int x, int c) {
        return data[(y * width + x) * channels + c] & 0xff;
    }

    /** The same pixels as RGB, the way Pillow's {@code convert("RGB")} does it (grey replicated, alpha dropped). */
    public Image8 toRgb() {
        if (channels == 3) {
            return this;
        }
        byte[] out = new byte[width * height * 3];
        for (int i = 0, n = width * height; i < n; i++) {
            for (int c = 0; c < 3; c++) {
                out[i * 3 + c] = channels == 1 ? data[i] : data[i * 4 + c];
            }
        }
        return new Image8(width, height, 3, out);
    }

    /** The rectangle {@code [top, top + h) x [left, left + w)}; it must lie inside the image. */
    public Image8 crop(int top, int left, int h, int w) {
        if (top < 0 || left < 0 || top + h > height || left + w > width) {
            throw new IllegalArgumentException("crop outside the image");
        }
        byte[] out = new byte[w * h * channels];
        for (int y = 0; y < h; y++) {
            System.arraycopy(data, ((top + y) * width + left) * channels, out, y * w * channels, w * channels);
        }
        return new Image8(w, h, channels, out);
    }
}

package dev.clipsam.image;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/** Drawing results over an image: masks tinted and outlined, boxes and prompt points. */
public final class Overlay {

    /** Tint colour of masks (and of positive points). */
    public static final Color MASK = new Color(255, 48, 48);
    /** Colour of boxes. */
    public static final Color BOX = new Color(40, 200, 255);
    /** Colour of negative (background) points. */
    public static final Color NEGATIVE = new Color(60, 220, 60);

    private final BufferedImage canvas;

    /** Starts from the image, as RGB. */
    public Overlay(Image8 image) {
        this.canvas = ImageWriter.toBufferedImage(image.toRgb());
    }

    public BufferedImage image() {
        return canvas;
    }

    /** Tints the mask's pixels ({@code alpha} of the colour) and draws its outline opaque. */
    public Overlay mask(boolean[] mask, Color color, double alpha) {
        int w = canvas.getWidth();
        int h = canvas.getHeight();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (!mask[y * w + x]) {
                    continue;
                }
                boolean edge = x == 0 || y == 0 || x == w - 1 || y == h - 1 || !mask[y * w + x - 1]
                        || !mask[y * w + x + 1] || !mask[(y - 1) * w + x] || !mask[(y + 1) * w + x];
                int rgb = canvas.getRGB(x, y);
                canvas.setRGB(x, y, edge ? color.getRGB() : blend(rgb, color, alpha));
            }
        }
        return this;
    }

    public Overlay box(double x0, double y0, double x1, double y1) {
        Graphics2D g = graphics();
        g.setColor(BOX);
        g.setStroke(new BasicStroke(Math.max(1f, canvas.getWidth() / 400f)));
        // Kept inside the canvas: a box of the whole image is drawn along its edges, not outside them.
        int w = canvas.getWidth();
        int h = canvas.getHeight();
        int line = Math.round(Math.max(1f, w / 400f));
        int left = (int) Math.max(0, Math.min(w - line, Math.round(x0)));
        int top = (int) Math.max(0, Math.min(h - line, Math.round(y0)));
        int right = (int) Math.max(left, Math.min(w - line, Math.round(x1) - line));
        int bottom = (int) Math.max(top, Math.min(h - line, Math.round(y1) - line));
        g.drawRect(left, top, right - left, bottom - top);
        g.dispose();
        return this;
    }

    /** A point prompt: a filled disc with a white rim. */
    public Overlay point(double x, double y, boolean positive) {
        Graphics2D g = graphics();
        int r = Math.max(3, canvas.getWidth() / 120);
        g.setColor(Color.WHITE);
        g.fillOval((int) Math.round(x) - r - 1, (int) Math.round(y) - r - 1, 2 * r + 2, 2 * r + 2);
        g.setColor(positive ? MASK : NEGATIVE);
        g.fillOval((int) Math.round(x) - r, (int) Math.round(y) - r, 2 * r, 2 * r);
        g.dispose();
        return this;
    }

    private Graphics2D graphics() {
        Graphics2D g = canvas.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        return g;
    }

    private static int blend(int rgb, Color color, double alpha) {
        int r = (int) Math.round(((rgb >> 16) & 0xff) * (1 - alpha) + color.getRed() * alpha);
        int gr = (int) Math.round(((rgb >> 8) & 0xff) * (1 - alpha) + color.getGreen() * alpha);
        int b = (int) Math.round((rgb & 0xff) * (1 - alpha) + color.getBlue() * alpha);
        return (r << 16) | (gr << 8) | b;
    }
}

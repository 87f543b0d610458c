package dev.clipsam.sam;

import java.util.Arrays;
import org.bytedeco.pytorch.Tensor;

/**
 * One prompt for SAM, in pixels of the original image: points (x, y) with labels (1 foreground, 0 background,
 * -1 ignored), a box (x0, y0, x1, y1), a previous low-res mask ({@code [1, 256, 256]} logits). Any may be absent.
 *
 * @param points    {@code [x0, y0, x1, y1, ...]}, or null
 * @param labels    one per point, or null without points
 * @param box       {@code [x0, y0, x1, y1]}, or null
 * @param maskInput low-res logits {@code [1, 256, 256]} from an earlier prediction, or null
 */
public record SamPrompt(double[] points, int[] labels, double[] box, Tensor maskInput) {

    public SamPrompt {
        if ((points == null) != (labels == null)) {
            throw new IllegalArgumentException("points and labels must be given together");
        }
        if (points != null && points.length != 2 * labels.length) {
            throw new IllegalArgumentException(points.length / 2 + " points but " + labels.length + " labels");
        }
        if (box != null && box.length != 4) {
            throw new IllegalArgumentException("a box has 4 numbers, not " + box.length);
        }
        points = points == null ? null : points.clone();
        labels = labels == null ? null : labels.clone();
        box = box == null ? null : box.clone();
    }

    public static SamPrompt box(double x0, double y0, double x1, double y1) {
        return new SamPrompt(null, null, new double[] {x0, y0, x1, y1}, null);
    }

    public int pointCount() {
        return labels == null ? 0 : labels.length;
    }

    /**
     * Checks the prompt against an image: labels 0 or 1, points inside the image, the box non-empty, not
     * inverted and inside the image ({@code 0 <= x0 < x1 <= width}, likewise y).
     *
     * @throws IllegalArgumentException naming the first problem
     */
    public void validate(int height, int width) {
        for (int i = 0; i < pointCount(); i++) {
            if (labels[i] != 0 && labels[i] != 1) {
                throw new IllegalArgumentException("point label " + labels[i] + " is neither 1 (object) nor 0"
                        + " (background)");
            }
            double x = points[2 * i];
            double y = points[2 * i + 1];
            if (!(x >= 0 && x < width && y >= 0 && y < height)) {
                throw new IllegalArgumentException("point (" + x + ", " + y + ") lies outside the " + width + "x"
                        + height + " image");
            }
        }
        if (box != null) {
            if (!(box[0] < box[2] && box[1] < box[3])) {
                throw new IllegalArgumentException("box " + Arrays.toString(box) + " is empty or inverted (need x0 <"
                        + " x1 and y0 < y1)");
            }
            if (box[0] < 0 || box[1] < 0 || box[2] > width || box[3] > height) {
                throw new IllegalArgumentException("box " + Arrays.toString(box) + " lies outside the " + width + "x"
                        + height + " image");
            }
        }
    }
}

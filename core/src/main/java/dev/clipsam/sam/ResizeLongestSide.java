package dev.clipsam.sam;

import dev.clipsam.image.Image8;
import dev.clipsam.image.PillowResize;

/**
 * SAM's geometry between the original image and its 1024 input frame (segment_anything/utils/transforms.py
 * {@code ResizeLongestSide}): the long side becomes 1024, the short side {@code int(side · 1024 / long + 0.5)};
 * images are resized with Pillow's bilinear filter (what torchvision does to a PIL image); coordinates are scaled
 * in double precision by {@code new / old} per axis.
 */
public final class ResizeLongestSide {

    private final int targetLength;

    public ResizeLongestSide(int targetLength) {
        this.targetLength = targetLength;
    }

    /** {@code get_preprocess_shape}: the (height, width) of the input frame. */
    public int[] preprocessShape(int height, int width) {
        double scale = targetLength * 1.0 / Math.max(height, width);
        return new int[] {(int) (height * scale + 0.5), (int) (width * scale + 0.5)};
    }

    /** {@code apply_image}: the resized image, same mode. */
    public Image8 applyImage(Image8 image) {
        int[] size = preprocessShape(image.height(), image.width());
        return PillowResize.resize(image, size[1], size[0], PillowResize.Filter.BILINEAR);
    }

    /** {@code apply_coords}: (x, y) pairs from original pixels to the input frame, as float32. */
    public float[] applyCoords(double[] xy, int originalHeight, int originalWidth) {
        int[] size = preprocessShape(originalHeight, originalWidth);
        double sx = (double) size[1] / originalWidth;
        double sy = (double) size[0] / originalHeight;
        float[] out = new float[xy.length];
        for (int i = 0; i < xy.length; i += 2) {
            out[i] = (float) (xy[i] * sx);
            out[i + 1] = (float) (xy[i + 1] * sy);
        }
        return out;
    }

    /** {@code apply_boxes}: x0, y0, x1, y1 quadruples, as two corners each. */
    public float[] applyBoxes(double[] boxes, int originalHeight, int originalWidth) {
        return applyCoords(boxes, originalHeight, originalWidth);
    }
}

package dev.clipsam.clip;

import dev.clipsam.image.Image8;
import dev.clipsam.image.PillowResize;
import dev.clipsam.nn.Tensors;
import org.bytedeco.pytorch.Tensor;

/**
 * CLIP's image preprocessing, exact to the reference pipelines: Pillow bicubic resize, crop, RGB, {@code /255},
 * normalise with OpenAI's mean and std, all in float32.
 *
 * <p>{@link Crop#SQUASH} is what APRIL-GAN and ClipSAM run at 518 px (open_clip's {@code image_transform}:
 * both sides to {@code n}, aspect ratio not kept) and is the default (docs/DESIGN.md §2). {@link Crop#CENTER} is
 * OpenAI's {@code clip._transform}: the shorter side to {@code n}, then a centre crop.
 */
public final class ClipPreprocess {

    /** How the image is brought to {@code n x n}. */
    public enum Crop {
        /** Resize both sides to n (APRIL-GAN / ClipSAM). */
        SQUASH,
        /** Shorter side to n, longer side to {@code int(n * long / short)}, centre crop (OpenAI CLIP). */
        CENTER
    }

    /** OpenAI CLIP's normalisation constants (float32, as torchvision uses them). */
    static final float[] MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    static final float[] STD = {0.26862954f, 0.26130258f, 0.27577711f};

    private final int size;
    private final Crop crop;

    public ClipPreprocess(int size, Crop crop) {
        if (size <= 0) {
            throw new IllegalArgumentException("size must be positive");
        }
        this.size = size;
        this.crop = crop;
    }

    public int size() {
        return size;
    }

    public Crop crop() {
        return crop;
    }

    /** Step 1: the Pillow bicubic resize, in the image's own mode. */
    public Image8 resize(Image8 image) {
        if (crop == Crop.SQUASH) {
            return PillowResize.resize(image, size, size, PillowResize.Filter.BICUBIC);
        }
        int w = image.width();
        int h = image.height();
        int shortSide = Math.min(w, h);
        int longSide = (int) ((long) size * Math.max(w, h) / shortSide);
        int newW = w <= h ? size : longSide;
        int newH = w <= h ? longSide : size;
        return PillowResize.resize(image, newW, newH, PillowResize.Filter.BICUBIC);
    }

    /** Step 2: centre crop (offsets rounded half to even, as Python's {@code round}), then RGB. */
    public Image8 cropRgb(Image8 resized) {
        int top = (int) Math.rint((resized.height() - size) / 2.0);
        int left = (int) Math.rint((resized.width() - size) / 2.0);
        Image8 cropped = resized.width() == size && resized.height() == size ? resized
                : resized.crop(top, left, size, size);
        return cropped.toRgb();
    }

    /** Step 3: {@code (u8 / 255 - mean) / std} in float32, as a {@code [3, n, n]} tensor. */
    public Tensor toTensor(Image8 rgb) {
        return Tensors.fromFloats(normalise(rgb), 3, rgb.height(), rgb.width());
    }

    /** The {@code [3, n, n]} model input of an image. */
    public Tensor apply(Image8 image) {
        return toTensor(cropRgb(resize(image)));
    }

    static float[] normalise(Image8 rgb) {
        int n = rgb.width() * rgb.height();
        float[] out = new float[3 * n];
        byte[] d = rgb.data();
        for (int c = 0; c < 3; c++) {
            float mean = MEAN[c];
            float std = STD[c];
            for (int i = 0; i < n; i++) {
                float x = (d[i * 3 + c] & 0xff) / 255f;
                out[c * n + i] = (x - mean) / std;
            }
        }
        return out;
    }
}

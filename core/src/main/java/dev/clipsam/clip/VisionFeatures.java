package dev.clipsam.clip;

import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.bytedeco.pytorch.Tensor;

/**
 * The residual stream of the image tower after chosen blocks.
 *
 * @param blocks block number (1-based) to {@code [B, 1 + rows*cols, width]} float32 tokens, class token first
 * @param rows   patch rows
 * @param cols   patch columns
 */
public record VisionFeatures(NavigableMap<Integer, Tensor> blocks, int rows, int cols) {

    public VisionFeatures(Map<Integer, Tensor> blocks, int rows, int cols) {
        this(new TreeMap<>(blocks), rows, cols);
    }

    /** All tokens after block {@code n}, class token included. */
    public Tensor block(int n) {
        Tensor t = blocks.get(n);
        if (t == null) {
            throw new IllegalArgumentException("block " + n + " was not computed; have " + blocks.keySet());
        }
        return t;
    }

    /** The patch tokens after block {@code n}: {@code [B, rows*cols, width]}, class token dropped. */
    public Tensor patchTokens(int n) {
        return block(n).narrow(1, 1, (long) rows * cols);
    }
}

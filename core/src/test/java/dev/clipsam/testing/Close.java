package dev.clipsam.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.clipsam.io.Npy;
import dev.clipsam.nn.Tensors;
import org.bytedeco.pytorch.Tensor;

/** Element-wise comparisons that report the first and the worst offending element. */
public final class Close {

    private Close() {
    }

    /** {@code |actual - expected| <= atol} everywhere, shapes equal. */
    public static void assertClose(Npy expected, Tensor actual, double atol, String what) {
        assertArrayEquals(expected.shape(), Tensors.shape(actual), what + ": shape");
        assertClose(expected.floats(), Tensors.toFloats(actual), atol, what);
    }

    /**
     * The CLIP fixtures' rule: {@code |actual - expected| <= rel * max|expected| + abs} per array.
     */
    public static void assertCloseScaled(Npy expected, Tensor actual, double rel, double abs, String what) {
        float[] e = expected.floats();
        double max = 0;
        for (float v : e) {
            max = Math.max(max, Math.abs(v));
        }
        assertArrayEquals(expected.shape(), Tensors.shape(actual), what + ": shape");
        assertClose(e, Tensors.toFloats(actual), rel * max + abs, what);
    }

    public static void assertClose(float[] expected, float[] actual, double atol, String what) {
        if (expected.length != actual.length) {
            fail(what + ": length " + actual.length + " != expected " + expected.length);
        }
        int worst = -1;
        double worstErr = 0;
        int bad = 0;
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs((double) actual[i] - expected[i]);
            if (!(err <= atol)) {
                bad++;
                if (worst < 0 || err > worstErr || Double.isNaN(err)) {
                    worst = i;
                    worstErr = err;
                }
            }
        }
        if (bad > 0) {
            fail(String.format("%s: %d of %d elements beyond atol %.3g; worst at flat index %d: actual %.9g,"
                    + " expected %.9g (error %.3g)", what, bad, expected.length, atol, worst, actual[worst],
                    expected[worst], worstErr));
        }
    }

    /** {@code |b - a| / |a|} over all elements (the deviation of a lower precision {@code b} from fp32 {@code a}). */
    public static double relativeL2(float[] a, float[] b) {
        double d = 0;
        double r = 0;
        for (int i = 0; i < a.length; i++) {
            d += ((double) b[i] - a[i]) * ((double) b[i] - a[i]);
            r += (double) a[i] * a[i];
        }
        return Math.sqrt(d / r);
    }

    /** Largest absolute difference (for reporting, e.g. bf16 deviation). */
    public static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }
}

package dev.clipsam.nn;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Moving data between Java arrays and libtorch tensors, and small shape helpers. */
public final class Tensors {

    static {
        TorchRuntime.ensureInitialised();
    }

    private Tensors() {
    }

    /** An uninitialised contiguous tensor. */
    public static Tensor empty(ScalarType type, long... shape) {
        return torch.empty(shape, new TensorOptions(type), new MemoryFormatOptional());
    }

    public static long[] shape(Tensor t) {
        return t.sizes().vec().get();
    }

    /** A new float32 tensor holding a copy of {@code values}. */
    public static Tensor fromFloats(float[] values, long... shape) {
        Tensor t = empty(ScalarType.Float, shape);
        if (values.length != t.numel()) {
            throw new IllegalArgumentException(values.length + " values for shape " + java.util.Arrays.toString(shape));
        }
        if (values.length > 0) {
            new FloatPointer(t.data_ptr()).capacity(values.length).put(values);
        }
        return t;
    }

    /** A new int64 tensor holding a copy of {@code values}. */
    public static Tensor fromLongs(long[] values, long... shape) {
        Tensor t = empty(ScalarType.Long, shape);
        if (values.length != t.numel()) {
            throw new IllegalArgumentException(values.length + " values for shape " + java.util.Arrays.toString(shape));
        }
        if (values.length > 0) {
            new LongPointer(t.data_ptr()).capacity(values.length).put(values);
        }
        return t;
    }

    /** The elements of {@code t} as float32, in C order. */
    public static float[] toFloats(Tensor t) {
        Tensor f = t.to(ScalarType.Float).contiguous();
        float[] out = new float[Math.toIntExact(f.numel())];
        if (out.length > 0) {
            new FloatPointer(f.data_ptr()).capacity(out.length).get(out);
        }
        return out;
    }

    /** The elements of {@code t} as int64, in C order. */
    public static long[] toLongs(Tensor t) {
        Tensor l = t.to(ScalarType.Long).contiguous();
        long[] out = new long[Math.toIntExact(l.numel())];
        if (out.length > 0) {
            new LongPointer(l.data_ptr()).capacity(out.length).get(out);
        }
        return out;
    }

    /** {@code x} in the dtype of {@code like} (the same tensor when they already agree). */
    public static Tensor castLike(Tensor x, Tensor like) {
        ScalarType want = like.scalar_type();
        return x.scalar_type().value == want.value ? x : x.to(want);
    }

    public static TensorOptions options(ScalarType type) {
        return new TensorOptions(type);
    }
}

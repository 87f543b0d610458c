package dev.clipsam.io;

import java.util.Arrays;

/**
 * Where one tensor of a checkpoint lives and how it is laid out, read from the file's index without touching
 * its data.
 *
 * @param name          state-dict key, e.g. {@code visual.transformer.resblocks.0.attn.in_proj_weight}
 * @param dtype         element type as stored
 * @param shape         sizes per dimension
 * @param stride        strides per dimension, in elements
 * @param storageOffset offset of element 0 inside its storage, in elements
 * @param storageKey    the storage the tensor views: a zip entry key ({@code data/12}) or a safetensors name
 */
public record TensorInfo(String name, DType dtype, long[] shape, long[] stride, long storageOffset, String storageKey) {

    public TensorInfo {
        shape = shape.clone();
        stride = stride.clone();
        if (shape.length != stride.length) {
            throw new IllegalArgumentException(name + ": shape and stride differ in rank");
        }
    }

    public long numel() {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return n;
    }

    /** Number of storage elements the view spans, from its first element to its last. */
    public long span() {
        if (numel() == 0) {
            return 0;
        }
        long span = 1;
        for (int i = 0; i < shape.length; i++) {
            span += (shape[i] - 1) * stride[i];
        }
        return span;
    }

    public boolean isContiguous() {
        return Arrays.equals(stride, contiguousStrides(shape));
    }

    public static long[] contiguousStrides(long[] shape) {
        long[] stride = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            stride[i] = s;
            s *= shape[i];
        }
        return stride;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public long[] stride() {
        return stride.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && Arrays.equals(stride, t.stride) && storageOffset == t.storageOffset && storageKey.equals(t.storageKey);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype.displayName() + Arrays.toString(shape);
    }
}

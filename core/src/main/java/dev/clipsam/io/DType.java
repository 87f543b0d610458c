package dev.clipsam.io;

import java.util.Arrays;
import java.util.Optional;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Element types found in checkpoints, with their names in each container format: the torch storage class
 * of a pickled tensor ({@code torch.HalfStorage}), the safetensors dtype string ({@code F16}) and the
 * libtorch {@link ScalarType}.
 */
public enum DType {
    FLOAT32(4, "FloatStorage", "F32", ScalarType.Float),
    FLOAT16(2, "HalfStorage", "F16", ScalarType.Half),
    BFLOAT16(2, "BFloat16Storage", "BF16", ScalarType.BFloat16),
    FLOAT64(8, "DoubleStorage", "F64", ScalarType.Double),
    INT64(8, "LongStorage", "I64", ScalarType.Long),
    INT32(4, "IntStorage", "I32", ScalarType.Int),
    INT16(2, "ShortStorage", "I16", ScalarType.Short),
    INT8(1, "CharStorage", "I8", ScalarType.Char),
    UINT8(1, "ByteStorage", "U8", ScalarType.Byte),
    BOOL(1, "BoolStorage", "BOOL", ScalarType.Bool);

    private final int bytes;
    private final String torchStorage;
    private final String safetensorsName;
    private final ScalarType scalarType;

    DType(int bytes, String torchStorage, String safetensorsName, ScalarType scalarType) {
        this.bytes = bytes;
        this.torchStorage = torchStorage;
        this.safetensorsName = safetensorsName;
        this.scalarType = scalarType;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    /** Class name of the storage in {@code torch} (e.g. {@code FloatStorage}). */
    public String torchStorage() {
        return torchStorage;
    }

    /** Dtype string in a safetensors header (e.g. {@code F32}). */
    public String safetensorsName() {
        return safetensorsName;
    }

    public ScalarType scalarType() {
        return scalarType;
    }

    public boolean isFloatingPoint() {
        return this == FLOAT32 || this == FLOAT16 || this == BFLOAT16 || this == FLOAT64;
    }

    /** Lower-case name as torch prints it ({@code float16}). */
    public String displayName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Optional<DType> fromSafetensors(String name) {
        return Arrays.stream(values()).filter(d -> d.safetensorsName.equals(name)).findFirst();
    }

    /**
     * Whether two libtorch scalar types are the same. JavaCPP returns fresh objects for them, so {@code ==} is
     * never the right test.
     */
    public static boolean same(ScalarType a, ScalarType b) {
        return a.value == b.value;
    }

    public static Optional<DType> fromScalarType(ScalarType type) {
        return Arrays.stream(values()).filter(d -> d.scalarType.value == type.value).findFirst();
    }
}

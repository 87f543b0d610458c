package dev.clipsam.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;

/**
 * NumPy {@code .npy} (format 1.0/2.0, C order, little-endian) arrays of float32, float64, int64, int32 and
 * uint8: read for fixtures and anomaly maps, written for maps a user wants to post-process in Python.
 */
public record Npy(DType dtype, long[] shape, ByteBuffer data) {

    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([<|>=]?)(\\w\\d+|\\w)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    public Npy {
        data = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    public static Npy read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 10 || bytes[0] != (byte) 0x93 || bytes[1] != 'N' || bytes[2] != 'U') {
            throw new IOException(file + ": not a .npy file");
        }
        int major = bytes[6];
        int headerLength;
        int headerStart;
        if (major == 1) {
            headerLength = Short.toUnsignedInt(buf.getShort(8));
            headerStart = 10;
        } else {
            headerLength = buf.getInt(8);
            headerStart = 12;
        }
        String header = new String(bytes, headerStart, headerLength, StandardCharsets.ISO_8859_1);
        Matcher descr = DESCR.matcher(header);
        Matcher fortran = FORTRAN.matcher(header);
        Matcher shapeMatch = SHAPE.matcher(header);
        if (!descr.find() || !shapeMatch.find()) {
            throw new IOException(file + ": unreadable .npy header " + header.trim());
        }
        if (fortran.find() && fortran.group(1).equals("True")) {
            throw new IOException(file + ": Fortran-ordered arrays are not supported");
        }
        if (descr.group(1).equals(">")) {
            throw new IOException(file + ": big-endian arrays are not supported");
        }
        DType dtype = switch (descr.group(2)) {
            case "f4" -> DType.FLOAT32;
            case "f8" -> DType.FLOAT64;
            case "f2" -> DType.FLOAT16;
            case "i8" -> DType.INT64;
            case "i4" -> DType.INT32;
            case "u1" -> DType.UINT8;
            case "b1" -> DType.BOOL;
            default -> throw new IOException(file + ": unsupported dtype " + descr.group(2));
        };
        long[] shape = Arrays.stream(shapeMatch.group(1).split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .mapToLong(Long::parseLong).toArray();
        ByteBuffer data = ByteBuffer.wrap(bytes, headerStart + headerLength, bytes.length - headerStart - headerLength)
                .slice();
        long expected = numel(shape) * dtype.bytes();
        if (data.remaining() != expected) {
            throw new IOException(file + ": holds " + data.remaining() + " data bytes, its header promises " + expected);
        }
        return new Npy(dtype, shape, data);
    }

    public long numel() {
        return numel(shape);
    }

    private static long numel(long[] shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return n;
    }

    public float[] floats() {
        require(DType.FLOAT32);
        float[] out = new float[Math.toIntExact(numel())];
        data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    public long[] longs() {
        require(DType.INT64);
        long[] out = new long[Math.toIntExact(numel())];
        data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
        return out;
    }

    public int[] ints() {
        require(DType.INT32);
        int[] out = new int[Math.toIntExact(numel())];
        data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
        return out;
    }

    public byte[] bytes() {
        require(DType.UINT8);
        byte[] out = new byte[Math.toIntExact(numel())];
        data.duplicate().get(out);
        return out;
    }

    /** A new tensor with this array's dtype and shape. */
    public Tensor toTensor() {
        byte[] raw = new byte[data.remaining()];
        data.duplicate().get(raw);
        Tensor t = dev.clipsam.nn.Tensors.empty(dtype.scalarType(), shape);
        if (raw.length > 0) {
            new BytePointer(t.data_ptr()).capacity(raw.length).put(raw);
        }
        return t;
    }

    private void require(DType expected) {
        if (dtype != expected) {
            throw new IllegalStateException("array is " + dtype.displayName() + ", not " + expected.displayName());
        }
    }

    /** Writes a float32 array. */
    public static void write(Path file, float[] values, long... shape) throws IOException {
        ByteBuffer data = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        data.asFloatBuffer().put(values);
        write(file, new Npy(DType.FLOAT32, shape, data));
    }

    /** A float32 array as the bytes of an {@code .npy} file. */
    public static byte[] bytes(float[] values, long... shape) {
        ByteBuffer data = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        data.asFloatBuffer().put(values);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(values.length * 4 + 128);
        try {
            write(out, new Npy(DType.FLOAT32, shape, data));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static void write(Path file, Npy array) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            write(out, array);
        }
    }

    private static void write(OutputStream out, Npy array) throws IOException {
        String descr = switch (array.dtype) {
            case FLOAT32 -> "<f4";
            case FLOAT64 -> "<f8";
            case FLOAT16 -> "<f2";
            case INT64 -> "<i8";
            case INT32 -> "<i4";
            case UINT8 -> "|u1";
            case BOOL -> "|b1";
            default -> throw new IllegalArgumentException("cannot write " + array.dtype);
        };
        String shapeText = String.join(", ", Arrays.stream(array.shape).mapToObj(Long::toString).toList())
                + (array.shape.length == 1 ? "," : "");
        String header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + shapeText + "), }";
        int total = 10 + header.length() + 1;
        int padded = (total + 63) / 64 * 64;
        header = header + " ".repeat(padded - total) + "\n";
        out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        out.write(header.length() & 0xff);
        out.write(header.length() >>> 8);
        out.write(header.getBytes(StandardCharsets.ISO_8859_1));
        byte[] raw = new byte[array.data.remaining()];
        array.data.duplicate().get(raw);
        out.write(raw);
    }
}

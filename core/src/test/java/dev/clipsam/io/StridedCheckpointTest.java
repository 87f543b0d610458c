package dev.clipsam.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.clipsam.nn.Tensors;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Storage offsets, non-contiguous strides, storages shared by several tensors and fp16 storages, in a torch zip
 * archive written opcode by opcode the way {@code torch.save} writes it (the fixture files are all contiguous).
 */
class StridedCheckpointTest {

    @Test
    void viewsOfSharedStoragesAreReadWithTheirOffsetsAndStrides(@TempDir Path dir) throws IOException {
        float[] storage = new float[12];
        for (int i = 0; i < storage.length; i++) {
            storage[i] = i;
        }
        Pickle p = new Pickle();
        p.global("collections", "OrderedDict").op(')').op('R').op('(');
        p.string("transposed");                                          // size (2, 3), stride (1, 4), offset 1
        p.tensor("FloatStorage", "0", 12, 1, new int[] {2, 3}, new int[] {1, 4});
        p.string("whole");                                               // the same storage, contiguous
        p.tensor("FloatStorage", "0", 12, 0, new int[] {12}, new int[] {1});
        p.string("half");                                                // fp16 storage, offset 2, every other
        p.tensor("HalfStorage", "1", 6, 2, new int[] {2}, new int[] {2});
        p.op('u');
        p.op('}').string("_metadata").global("collections", "OrderedDict").op(')').op('R').op('s').op('b');
        p.op('.');

        ByteBuffer halves = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        for (int bits : new int[] {0x3800, 0x3e00, 0x4100, 0x4300, 0x4480, 0x4580}) { // 0.5, 1.5, ... 5.5
            halves.putShort((short) bits);
        }
        Path file = dir.resolve("views.pth");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            stored(zip, "views/data.pkl", p.bytes());
            stored(zip, "views/data/0", floats(storage));
            stored(zip, "views/data/1", halves.array());
            stored(zip, "views/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        }

        try (Checkpoint ckpt = Checkpoint.open(file); PointerScope scope = new PointerScope()) {
            assertEquals(Checkpoint.Format.TORCH_ZIP, ckpt.format());
            assertEquals(3, ckpt.tensors().size());
            assertArrayEquals(new float[] {1, 5, 9, 2, 6, 10}, Tensors.toFloats(ckpt.load("transposed")));
            assertArrayEquals(storage, Tensors.toFloats(ckpt.load("whole")));
            assertEquals(DType.FLOAT16, ckpt.info("half").dtype());
            assertArrayEquals(new float[] {2.5f, 4.5f}, Tensors.toFloats(ckpt.load("half")));
        }
    }

    private static byte[] floats(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b.array();
    }

    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    /** Just enough of pickle protocol 2 to write what torch.save writes. */
    private static final class Pickle {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pickle() {
            out.write(0x80);
            out.write(2);
        }

        Pickle op(char opcode) {
            out.write(opcode);
            return this;
        }

        Pickle global(String module, String name) {
            write(("c" + module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        Pickle string(String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            out.write('X');
            write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(utf8.length).array());
            write(utf8);
            return this;
        }

        Pickle integer(int v) {
            out.write('J');
            write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
            return this;
        }

        Pickle tuple(int[] values) {
            op('(');
            for (int v : values) {
                integer(v);
            }
            return op('t');
        }

        /** {@code _rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset, size, stride, False, OrderedDict())}. */
        Pickle tensor(String storageType, String key, int numel, int offset, int[] size, int[] stride) {
            global("torch._utils", "_rebuild_tensor_v2").op('(');
            op('(').string("storage").global("torch", storageType).string(key).string("cpu").integer(numel).op('t');
            op('Q');
            integer(offset).tuple(size).tuple(stride).op('\u0089');
            global("collections", "OrderedDict").op(')').op('R');
            return op('t').op('R');
        }

        private void write(byte[] b) {
            out.write(b, 0, b.length);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}

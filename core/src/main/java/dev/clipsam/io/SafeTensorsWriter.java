package dev.clipsam.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clipsam.nn.Tensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;

/**
 * Writes tensors as a {@code .safetensors} file (little-endian, C order, 8-byte aligned header). The file is
 * written under a temporary name beside the target and moved into place only when complete.
 */
public final class SafeTensorsWriter {

    private SafeTensorsWriter() {
    }

    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        Map<String, Tensor> contiguous = new LinkedHashMap<>();
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue().contiguous();
            DType dtype = DType.fromScalarType(t.scalar_type())
                    .orElseThrow(() -> new IllegalArgumentException(e.getKey() + ": unsupported dtype"));
            ObjectNode entry = header.putObject(e.getKey());
            entry.put("dtype", dtype.safetensorsName());
            var shape = entry.putArray("shape");
            for (long s : Tensors.shape(t)) {
                shape.add(s);
            }
            long bytes = t.nbytes();
            entry.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
            contiguous.put(e.getKey(), t);
        }
        byte[] headerBytes = json.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (headerBytes.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(headerBytes);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        AtomicFiles.write(file, tmp -> {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                while (head.hasRemaining()) {
                    out.write(head);
                }
                for (Tensor t : contiguous.values()) {
                    long bytes = t.nbytes();
                    if (bytes == 0) {
                        continue;
                    }
                    BytePointer data = new BytePointer(t.data_ptr());
                    for (long done = 0; done < bytes;) {
                        long chunk = Math.min(1 << 30, bytes - done);
                        ByteBuffer buffer = data.position(done).limit(done + chunk).asByteBuffer();
                        while (buffer.hasRemaining()) {
                            out.write(buffer);
                        }
                        done += chunk;
                    }
                }
            }
        });
    }
}

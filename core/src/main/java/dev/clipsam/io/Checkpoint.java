package dev.clipsam.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clipsam.nn.Tensors;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.ZipEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * An opened checkpoint file: its tensor index, read at open, and tensors loaded one at a time on request.
 *
 * <p>Three containers are read: a {@code torch.save} zip archive ({@code .pt}/{@code .pth}, e.g. the official
 * SAM files), a TorchScript archive (OpenAI's CLIP {@code .pt}), and a {@code .safetensors} file. Tensor
 * bytes are read straight from the file into the tensor's own native memory, one tensor at a time, so loading
 * a multi-GB checkpoint never holds a second copy of it. Storage offsets and strides are honoured.
 */
public final class Checkpoint implements TensorSource, AutoCloseable {

    /** The container kinds this reader understands. */
    public enum Format {
        TORCHSCRIPT("TorchScript archive"),
        TORCH_ZIP("torch.save zip archive"),
        SAFETENSORS("safetensors");

        private final String description;

        Format(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    /** A byte range of the file holding one storage. */
    private record Region(long offset, long length) {
    }

    private static final byte[] ZIP_MAGIC = {'P', 'K', 3, 4};
    private static final long MAX_SAFETENSORS_HEADER = 100L << 20;
    private static final int READ_CHUNK = 1 << 30;

    private final Path path;
    private final Format format;
    private final FileChannel channel;
    private final long fileSize;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, Region> storages;
    private final Map<String, String> metadata;

    private Checkpoint(Path path, Format format, FileChannel channel, long fileSize, List<TensorInfo> tensors,
            Map<String, Region> storages, Map<String, String> metadata) {
        this.path = path;
        this.format = format;
        this.channel = channel;
        this.fileSize = fileSize;
        Map<String, TensorInfo> byName = new LinkedHashMap<>();
        for (TensorInfo t : tensors) {
            byName.put(t.name(), t);
        }
        this.tensors = Collections.unmodifiableMap(byName);
        this.storages = storages;
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /**
     * Opens a checkpoint and reads its index.
     *
     * @throws CheckpointException with a one-line reason when the file is missing, unreadable, truncated or not
     *                             a checkpoint
     */
    public static Checkpoint open(Path path) {
        if (Files.isDirectory(path)) {
            throw new CheckpointException(path, "is a directory, not a checkpoint file");
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(path, "file not found");
        } catch (IOException e) {
            throw new CheckpointException(path, "cannot be read (" + e.getMessage() + ")", e);
        }
        try {
            long size = channel.size();
            if (size == 0) {
                throw new CheckpointException(path, "is empty");
            }
            ByteBuffer head = ByteBuffer.allocate((int) Math.min(16, size)).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(head, 0);
            head.flip();
            byte[] magic = new byte[head.remaining()];
            head.get(magic);
            if (startsWith(magic, ZIP_MAGIC)) {
                return openZip(path, channel, size);
            }
            if (magic.length >= 9 && magic[8] == '{') {
                return openSafetensors(path, channel, size);
            }
            if ((magic[0] & 0xff) == 0x80 && magic.length > 1 && magic[1] <= 5) {
                throw new CheckpointException(path, "uses torch's legacy (pre-1.6) serialization, which is not"
                        + " supported; re-save it with torch.save(obj, path) from torch >= 1.6");
            }
            throw new CheckpointException(path, "is not a checkpoint (expected a torch .pt/.pth zip archive, a"
                    + " TorchScript archive or a .safetensors file)");
        } catch (CheckpointException e) {
            closeQuietly(channel);
            throw e;
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            throw new CheckpointException(path, "cannot be read as a checkpoint (" + oneLine(e) + ")", e);
        }
    }

    private static Checkpoint openZip(Path path, FileChannel channel, long size) throws IOException {
        Map<String, Region> storages = new LinkedHashMap<>();
        List<TensorInfo> tensors;
        boolean torchScript = false;
        try (ZipFile zip = ZipFile.builder().setPath(path).get()) {
            ZipArchiveEntry pickle = null;
            List<ZipArchiveEntry> entries = Collections.list(zip.getEntries());
            for (ZipArchiveEntry e : entries) {
                String name = e.getName();
                if (name.endsWith("/data.pkl") && name.indexOf('/') == name.length() - "/data.pkl".length()) {
                    pickle = e;
                } else if (name.equals("data.pkl")) {
                    pickle = e;
                }
            }
            if (pickle == null) {
                throw new CheckpointException(path, "is a zip archive but not a torch checkpoint (no data.pkl)");
            }
            String prefix = pickle.getName().substring(0, pickle.getName().length() - "data.pkl".length());
            for (ZipArchiveEntry e : entries) {
                String name = e.getName();
                if (!name.startsWith(prefix)) {
                    continue;
                }
                String rel = name.substring(prefix.length());
                if (rel.startsWith("code/") || rel.equals("constants.pkl")) {
                    torchScript = true;
                } else if (rel.startsWith("data/") && !e.isDirectory()) {
                    if (e.getMethod() != ZipEntry.STORED) {
                        throw new CheckpointException(path, "tensor entry " + name + " is compressed; torch"
                                + " archives store tensors uncompressed");
                    }
                    storages.put(rel.substring("data/".length()), new Region(e.getDataOffset(), e.getSize()));
                }
            }
            byte[] pickleBytes;
            try (InputStream in = zip.getInputStream(pickle)) {
                pickleBytes = in.readAllBytes();
            }
            tensors = TorchPickle.readTensors(pickleBytes, torchScript);
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw new CheckpointException(path, "is a damaged or truncated zip archive (" + oneLine(e) + ")", e);
        }
        Checkpoint checkpoint = new Checkpoint(path, torchScript ? Format.TORCHSCRIPT : Format.TORCH_ZIP, channel,
                size, tensors, storages, Map.of());
        checkpoint.validate();
        return checkpoint;
    }

    private static Checkpoint openSafetensors(Path path, FileChannel channel, long size) throws IOException {
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        channel.read(lengthBytes, 0);
        long headerLength = lengthBytes.flip().getLong();
        if (headerLength <= 0 || headerLength > MAX_SAFETENSORS_HEADER || 8 + headerLength > size) {
            throw new CheckpointException(path, "is not a valid safetensors file (header length " + headerLength
                    + " for a file of " + size + " bytes)");
        }
        ByteBuffer header = ByteBuffer.allocate((int) headerLength);
        while (header.hasRemaining()) {
            if (channel.read(header, 8 + header.position()) < 0) {
                throw new CheckpointException(path, "is truncated inside its safetensors header");
            }
        }
        JsonNode root = new ObjectMapper().readTree(new String(header.array(), StandardCharsets.UTF_8));
        long dataStart = 8 + headerLength;
        List<TensorInfo> tensors = new ArrayList<>();
        Map<String, Region> storages = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            JsonNode node = field.getValue();
            if (name.equals("__metadata__")) {
                node.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            String dtypeName = node.path("dtype").asText();
            DType dtype = DType.fromSafetensors(dtypeName).orElseThrow(
                    () -> new CheckpointException(path, "tensor " + name + " has unsupported dtype " + dtypeName));
            long[] shape = new long[node.path("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = node.path("shape").get(i).asLong();
            }
            long begin = node.path("data_offsets").path(0).asLong(-1);
            long end = node.path("data_offsets").path(1).asLong(-1);
            if (begin < 0 || end < begin) {
                throw new CheckpointException(path, "tensor " + name + " has invalid data_offsets");
            }
            tensors.add(new TensorInfo(name, dtype, shape, TensorInfo.contiguousStrides(shape), 0, name));
            storages.put(name, new Region(dataStart + begin, end - begin));
        }
        tensors.sort(java.util.Comparator.comparingLong(t -> storages.get(t.name()).offset()));
        Checkpoint checkpoint = new Checkpoint(path, Format.SAFETENSORS, channel, size, tensors, storages, metadata);
        checkpoint.validate();
        return checkpoint;
    }

    /** Every tensor's bytes must lie inside its storage, and every storage inside the file. */
    private void validate() {
        for (TensorInfo t : tensors.values()) {
            Region region = storages.get(t.storageKey());
            if (region == null) {
                throw new CheckpointException(path, "tensor " + t.name() + " refers to missing storage "
                        + t.storageKey());
            }
            long needed = (t.storageOffset() + t.span()) * t.dtype().bytes();
            if (needed > region.length()) {
                throw new CheckpointException(path, "tensor " + t.name() + " needs " + needed + " bytes but its"
                        + " storage holds " + region.length());
            }
            if (region.offset() + region.length() > fileSize) {
                throw new CheckpointException(path, "is truncated: tensor " + t.name() + " lies beyond the end of"
                        + " the file");
            }
        }
    }

    @Override
    public Path path() {
        return path;
    }

    public Format format() {
        return format;
    }

    public long fileSize() {
        return fileSize;
    }

    /** All tensors, in file order (state-dict order for torch files). */
    @Override
    public List<TensorInfo> tensors() {
        return List.copyOf(tensors.values());
    }

    public Optional<TensorInfo> find(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    @Override
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The {@code __metadata__} of a safetensors file; empty for torch files. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The shape of a tensor that must exist. */
    @Override
    public long[] shape(String name) {
        return info(name).shape();
    }

    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new CheckpointException(path, "has no tensor " + name);
        }
        return t;
    }

    /** Loads a tensor with its stored dtype, contiguous. */
    public Tensor load(String name) {
        return load(info(name), null);
    }

    /** Loads a tensor converted to {@code dtype}, contiguous. */
    @Override
    public Tensor load(String name, ScalarType dtype) {
        return load(info(name), dtype);
    }

    private Tensor load(TensorInfo t, ScalarType target) {
        Region region = storages.get(t.storageKey());
        long elementBytes = t.dtype().bytes();
        long span = t.span();
        Tensor buffer = Tensors.empty(t.dtype().scalarType(), span);
        try {
            readFully(buffer.data_ptr(), region.offset() + t.storageOffset() * elementBytes, span * elementBytes);
        } catch (IOException e) {
            throw new CheckpointException(path, "failed reading tensor " + t.name() + " (" + oneLine(e) + ")", e);
        }
        Tensor tensor = t.isContiguous() ? buffer.view(t.shape()) : buffer.as_strided(t.shape(), t.stride()).contiguous();
        if (target != null && !DType.same(target, t.dtype().scalarType())) {
            tensor = tensor.to(target);
        }
        return tensor;
    }

    /** The raw bytes of a storage entry, as stored (for checksums and tests). */
    public byte[] storageBytes(String storageKey) {
        Region region = storages.get(storageKey);
        if (region == null) {
            throw new CheckpointException(path, "has no storage " + storageKey);
        }
        ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact(region.length()));
        try {
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, region.offset() + buffer.position()) < 0) {
                    throw new CheckpointException(path, "is truncated");
                }
            }
        } catch (IOException e) {
            throw new CheckpointException(path, "failed reading storage " + storageKey, e);
        }
        return buffer.array();
    }

    private void readFully(Pointer target, long position, long length) throws IOException {
        BytePointer bytes = new BytePointer(target);
        for (long done = 0; done < length;) {
            long chunk = Math.min(READ_CHUNK, length - done);
            ByteBuffer buffer = bytes.position(done).limit(done + chunk).asByteBuffer();
            while (buffer.hasRemaining()) {
                int n = channel.read(buffer, position + done + buffer.position());
                if (n < 0) {
                    throw new java.io.EOFException("unexpected end of file");
                }
            }
            done += chunk;
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing useful to do
        }
    }

    private static boolean startsWith(byte[] data, byte[] prefix) {
        if (data.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (data[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    static String oneLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return message.replaceAll("\\s+", " ").trim();
    }
}

package dev.clipsam.pipeline;

import dev.clipsam.io.Checkpoint;
import dev.clipsam.io.Hashing;
import dev.clipsam.io.SafeTensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * CLIP stage tokens on disk, so that training epochs after the first cost only the head. One float16 safetensors
 * file per image under {@code <dir>/<clip key>/}, named by the SHA-256 of the image file's bytes; the clip key names
 * the CLIP checkpoint (its SHA-256), the input size, the blocks and how the tower ran (precision, activation), so a
 * cache is reused across runs exactly when the tokens would be the same.
 */
public final class TokenCache {

    private final Path dir;
    private int hits;
    private int misses;

    /**
     * @param root     cache root (e.g. {@code ~/.cache/clipsam/tokens})
     * @param clipKey  identifies the CLIP and how it was run (see {@link #key})
     */
    public TokenCache(Path root, String clipKey) {
        this.dir = root.resolve(clipKey);
    }

    /** A cache key from the CLIP checkpoint's SHA-256 and the settings that change tokens. */
    public static String key(String clipSha256, int imageSize, List<Integer> blocks, String precision,
            String activation) {
        return clipSha256.substring(0, 16) + "-" + imageSize + "px-b" + String.join("_", blocks.stream()
                .map(String::valueOf).toList()) + "-" + precision + "-" + activation;
    }

    public Path directory() {
        return dir;
    }

    public int hits() {
        return hits;
    }

    public int misses() {
        return misses;
    }

    /**
     * The cache file of an image's tokens, computed first (in float32, stored as float16) when missing. Tensors the
     * computation makes are freed before returning.
     */
    public Path ensure(Path image, Supplier<List<Tensor>> compute) {
        try {
            Path file = fileFor(image);
            if (Files.isRegularFile(file)) {
                hits++;
                return file;
            }
            misses++;
            try (PointerScope scope = new PointerScope()) {
                List<Tensor> tokens = compute.get();
                Map<String, Tensor> named = new LinkedHashMap<>();
                for (int i = 0; i < tokens.size(); i++) {
                    named.put("stage." + i, tokens.get(i).to(ScalarType.Half));
                }
                Files.createDirectories(dir);
                SafeTensorsWriter.write(file, named, Map.of("image", image.getFileName().toString()));
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where the tokens of an image are (or would be) stored. */
    public Path fileFor(Path image) throws IOException {
        return dir.resolve(Hashing.sha256(Files.readAllBytes(image)) + ".safetensors");
    }

    /** The stored tokens, as float32 tensors in the caller's scope. */
    public static List<Tensor> read(Path file) {
        try (Checkpoint ckpt = Checkpoint.open(file)) {
            List<Tensor> out = new ArrayList<>();
            for (int i = 0; ckpt.contains("stage." + i); i++) {
                out.add(ckpt.load("stage." + i, ScalarType.Float));
            }
            return out;
        }
    }
}

package dev.clipsam.pipeline;

import dev.clipsam.io.AtomicFiles;
import dev.clipsam.io.Hashing;
import dev.clipsam.io.Npy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * Text features of class names on disk: the prompt ensemble runs hundreds of sentences through CLIP's text tower
 * (about 11 s for ViT-L on two cores), once per class and CLIP, instead of once per process. One float32
 * {@code .npy} per class name under {@code <root>/<clip key>/}, where the key names the CLIP (SHA-256), how it ran
 * and the ensemble.
 */
public final class TextFeatureCache {

    private final Path dir;

    public TextFeatureCache(Path root, String key) {
        this.dir = root.resolve(key);
    }

    public static String key(String clipSha256, String precision, String activation, String ensemble) {
        return clipSha256.substring(0, 16) + "-" + precision + "-" + activation + "-" + ensemble;
    }

    /** The stored features of a class, computed and stored first when missing. */
    public float[] get(String className, Supplier<float[]> compute) {
        Path file = dir.resolve(Hashing.sha256(className.getBytes(StandardCharsets.UTF_8)) + ".npy");
        try {
            if (Files.isRegularFile(file)) {
                return Npy.read(file).floats();
            }
            float[] features = compute.get();
            AtomicFiles.write(file, tmp -> Npy.write(tmp, features, 2, features.length / 2));
            return features;
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }
}

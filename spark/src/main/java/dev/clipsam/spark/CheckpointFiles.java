package dev.clipsam.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.spark.SparkFiles;

/**
 * Where an executor finds a checkpoint (or a reference image folder) given by location: a local path it can read, a
 * file shipped with {@code spark-submit --files} (by its name, through {@link SparkFiles}), or a Hadoop URI
 * ({@code hdfs://}, {@code s3a://}, {@code abfs://}, ...) copied once per executor JVM to its local temp folder.
 */
final class CheckpointFiles {

    private static final Map<String, String> COPIED = new HashMap<>();

    private CheckpointFiles() {
    }

    /** A local file for a location; null stays null (the engine's default checkpoint). */
    static String local(String location) {
        if (location == null) {
            return null;
        }
        boolean hadoop = location.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*") && !location.startsWith("file:");
        if (!hadoop) {
            Path p = location.startsWith("file:") ? Path.of(URI.create(location)) : Path.of(location);
            if (Files.exists(p)) {
                return p.toString();
            }
            String shipped = shipped(p.getFileName().toString());
            return shipped != null ? shipped : p.toString();   // a missing file is then named by the engine
        }
        synchronized (COPIED) {
            String done = COPIED.get(location);
            if (done != null) {
                return done;
            }
            try {
                org.apache.hadoop.fs.Path src = new org.apache.hadoop.fs.Path(location);
                Configuration conf = new Configuration();
                FileSystem fs = src.getFileSystem(conf);
                String digest = HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                        .digest(location.getBytes(StandardCharsets.UTF_8))).substring(0, 16);
                Path dir = Path.of(System.getProperty("java.io.tmpdir"), "clipsam-checkpoints", digest);
                Path target = dir.resolve(src.getName());
                if (!Files.exists(target)) {
                    Files.createDirectories(dir);
                    Path partial = dir.resolve(src.getName() + ".part");
                    FileUtil.copy(fs, src, partial.toFile(), false, conf);
                    Files.move(partial, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                }
                COPIED.put(location, target.toString());
                return target.toString();
            } catch (IOException e) {
                throw new UncheckedIOException(location + ": cannot copy to the executor: " + e.getMessage(), e);
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static String shipped(String name) {
        try {
            String f = SparkFiles.get(name);
            return Files.exists(Path.of(f)) ? f : null;
        } catch (RuntimeException e) {
            return null;   // no SparkContext in this JVM
        }
    }
}

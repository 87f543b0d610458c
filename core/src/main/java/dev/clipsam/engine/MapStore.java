package dev.clipsam.engine;

import dev.clipsam.data.Sample;
import dev.clipsam.eval.MapFiles;
import dev.clipsam.io.AtomicFiles;
import dev.clipsam.io.Npy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Final maps on disk, one float32 {@code .npy} per image at {@code <root>/<class>/<defect>/<image stem>.npy}: the
 * layout {@code eval} writes, {@code metrics --dataset} reads back (a map's key names its image in the dataset) and
 * {@code eval --resume} continues from (a map that exists is not predicted again). Keys use forward slashes and no
 * extension.
 */
public final class MapStore {

    private final Path root;

    public MapStore(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    /** {@code <class>/<defect>/<image stem>}. */
    public static String key(Sample sample) {
        return sample.className() + "/" + sample.defectType() + "/" + stem(sample.image().getFileName().toString());
    }

    /** A file name without its extension. */
    public static String stem(String fileName) {
        int dot = fileName.lastIndexOf('.');
        return dot > fileName.lastIndexOf('/') ? fileName.substring(0, dot) : fileName;
    }

    /** A path relative to a map folder as a key: forward slashes, no extension. */
    public static String key(Path relative) {
        return stem(relative.toString().replace('\\', '/'));
    }

    /** The class of a map: the first folder of its key, or {@code all} for maps at the top. */
    public static String className(String key) {
        int slash = key.indexOf('/');
        return slash < 0 ? "all" : key.substring(0, slash);
    }

    public Path file(String key) {
        return root.resolve(key + ".npy");
    }

    public boolean has(String key) {
        return Files.isRegularFile(file(key));
    }

    /** A stored map; one of another grid belongs to another run and is refused. */
    public float[] read(String key, int grid) {
        Path file = file(key);
        MapFiles.AnomalyMap m = MapFiles.read(file);
        if (m.width() != grid || m.height() != grid) {
            throw new RunException(file + ": map is " + m.width() + "x" + m.height() + ", not " + grid + "x" + grid
                    + "; it belongs to another run");
        }
        return m.values();
    }

    public void write(String key, float[] map, int grid) throws IOException {
        AtomicFiles.write(file(key), tmp -> Npy.write(tmp, map, grid, grid));
    }

    /** Every map file under a folder (.npy, .png, .tif), grouped by class, in sorted order. */
    public static Map<String, List<Path>> mapsByClass(Path folder) throws IOException {
        Map<String, List<Path>> byClass = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(folder)) {
            walk.filter(Files::isRegularFile).filter(MapFiles::isMap).sorted().forEach(p -> byClass
                    .computeIfAbsent(className(key(folder.relativize(p))), k -> new ArrayList<>()).add(p));
        }
        return byClass;
    }
}

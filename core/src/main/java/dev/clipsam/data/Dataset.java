package dev.clipsam.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The samples of a dataset by class, in a stable order (classes and files sorted), and every problem met while
 * reading it (one line each, naming the file).
 */
public final class Dataset {

    private final DatasetFormat format;
    private final Path root;
    private final Map<String, List<Sample>> classes;
    private final List<String> problems;

    Dataset(DatasetFormat format, Path root, Map<String, List<Sample>> classes, List<String> problems) {
        this.format = format;
        this.root = root;
        Map<String, List<Sample>> copy = new LinkedHashMap<>();
        classes.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        this.classes = Collections.unmodifiableMap(copy);
        this.problems = List.copyOf(problems);
    }

    public DatasetFormat format() {
        return format;
    }

    public Path root() {
        return root;
    }

    public List<String> classNames() {
        return List.copyOf(classes.keySet());
    }

    public List<Sample> samples(String className) {
        return classes.getOrDefault(className, List.of());
    }

    public List<Sample> all() {
        List<Sample> out = new ArrayList<>();
        classes.values().forEach(out::addAll);
        return out;
    }

    public List<String> problems() {
        return problems;
    }

    /**
     * K normal reference images of a class for the few-shot protocol, as APRIL-GAN takes them: MVTec AD's
     * {@code train/good}, VisA's train rows; for layouts without a training split, the first K normal test images,
     * which are then not scored ({@code fromTest}).
     */
    public record References(List<Path> images, boolean fromTest) {
    }

    public References references(String className, int k) {
        List<Path> train = DatasetScanner.trainNormals(this, className);
        if (!train.isEmpty()) {
            return new References(train.subList(0, Math.min(k, train.size())), false);
        }
        List<Path> normal = samples(className).stream().filter(s -> !s.anomalous()).map(Sample::image).toList();
        return new References(normal.subList(0, Math.min(k, normal.size())), true);
    }

    /** The same dataset restricted to some classes (unknown names are problems). */
    public Dataset only(List<String> names) {
        if (names == null || names.isEmpty()) {
            return this;
        }
        Map<String, List<Sample>> kept = new LinkedHashMap<>();
        List<String> issues = new ArrayList<>(problems);
        for (String n : names) {
            if (classes.containsKey(n)) {
                kept.put(n, classes.get(n));
            } else {
                issues.add(root + ": no class '" + n + "' (classes: " + String.join(", ", classes.keySet()) + ")");
            }
        }
        return new Dataset(format, root, kept, issues);
    }
}

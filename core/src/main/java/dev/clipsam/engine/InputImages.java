package dev.clipsam.engine;

import dev.clipsam.image.ImageFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The images a prediction run takes from files and folders, each with the name its outputs get (its path relative
 * to the folder given, without extension). Folders are searched recursively in sorted order; ground truth is never
 * an input: files under {@code ground_truth/} or {@code Masks/} folders (MVTec AD, the folder layout, VisA),
 * {@code *_GT} files (KSDD2), a {@code .png} beside an image of the same stem (MTD's masks), and anything under the
 * run's own output folder. Images that share a stem get their extension in their name ({@code a_jpg},
 * {@code a_tif}). In a dataset layout each image also gets its class folder's name, for the prompts, as eval
 * uses it.
 */
public final class InputImages {

    /**
     * One input image, the name of its outputs, and the class its folder names in a dataset layout (MVTec AD or the
     * folder layout: a folder with {@code good/} or {@code test/} inside), or null.
     */
    public record Input(Path file, String name, String className) {
    }

    private static final Set<String> MASK_FOLDERS = Set.of("ground_truth", "masks");

    private InputImages() {
    }

    /**
     * @param inputs files and folders as given
     * @param output the run's output folder, whose files are never inputs (null: none)
     * @throws IllegalArgumentException naming the input that does not exist or a folder without images
     */
    public static List<Input> collect(List<Path> inputs, Path output) throws IOException {
        Path out = output == null ? null : output.toAbsolutePath().normalize();
        List<Path[]> found = new ArrayList<>();   // {file, base folder or null}
        for (Path in : inputs) {
            if (Files.isDirectory(in)) {
                List<Path> files;
                try (Stream<Path> walk = Files.walk(in)) {
                    files = walk.filter(Files::isRegularFile).filter(ImageFiles::hasImageExtension)
                            .filter(f -> out == null || !f.toAbsolutePath().normalize().startsWith(out))
                            .filter(f -> !isGroundTruth(in.relativize(f), f)).sorted().toList();
                }
                if (files.isEmpty()) {
                    throw new IllegalArgumentException(in + ": no images (" + String.join(", ",
                            ImageFiles.EXTENSIONS.stream().sorted().toList()) + ") in this folder");
                }
                files.forEach(f -> found.add(new Path[] {f, in}));
            } else if (Files.exists(in)) {
                found.add(new Path[] {in, null});
            } else {
                throw new IllegalArgumentException(in + ": file not found");
            }
        }
        Map<String, Integer> stems = new HashMap<>();
        for (Path[] f : found) {
            stems.merge(relativeStem(f), 1, Integer::sum);
        }
        List<Input> result = new ArrayList<>();
        Map<String, Path> names = new HashMap<>();
        for (Path[] f : found) {
            String stem = relativeStem(f);
            String name = stems.get(stem) > 1 ? stem + "_" + extension(f[0]) : stem;
            Path other = names.putIfAbsent(name, f[0]);
            if (other != null) {
                throw new IllegalArgumentException(f[0] + ": its outputs would have the same name (" + name
                        + ") as those of " + other + "; predict them in separate runs");
            }
            result.add(new Input(f[0], name, f[1] == null ? null : classOf(f[1], f[0])));
        }
        return result;
    }

    /** The class folder an image lies in when {@code base} is a dataset root or a class folder of one, else null. */
    static String classOf(Path base, Path file) {
        if (isClassFolder(base)) {
            return base.toAbsolutePath().normalize().getFileName().toString();
        }
        Path relative = base.relativize(file);
        if (relative.getNameCount() >= 2 && isClassFolder(base.resolve(relative.getName(0)))) {
            return relative.getName(0).toString();
        }
        return null;
    }

    private static boolean isClassFolder(Path dir) {
        return Files.isDirectory(dir.resolve("good")) || Files.isDirectory(dir.resolve("test"));
    }

    private static String relativeStem(Path[] f) {
        String relative = f[1] == null ? f[0].getFileName().toString() : f[1].relativize(f[0]).toString();
        return MapStore.stem(relative.replace('\\', '/'));
    }

    private static String extension(Path file) {
        String n = file.getFileName().toString();
        return n.substring(n.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
    }

    /**
     * Whether a path (forward slashes) names a dataset's ground truth by its name alone: a folder {@code ground_truth}
     * or {@code masks} on the way, or a stem ending in {@code _GT} (KSDD2). The MTD rule (a .png beside its .jpg)
     * needs the folder, see {@link #collect}.
     */
    public static boolean isGroundTruthPath(String path) {
        String[] parts = path.split("/");
        for (int i = 0; i < parts.length - 1; i++) {
            if (MASK_FOLDERS.contains(parts[i].toLowerCase(Locale.ROOT))) {
                return true;
            }
        }
        return MapStore.stem(parts[parts.length - 1]).endsWith("_GT");
    }

    /** Whether a file found in a folder is a dataset's ground truth rather than an image to predict. */
    static boolean isGroundTruth(Path relative, Path file) {
        if (isGroundTruthPath(relative.toString().replace('\\', '/'))) {
            return true;
        }
        String name = file.getFileName().toString();
        String stem = MapStore.stem(name);
        if (name.toLowerCase(Locale.ROOT).endsWith(".png")) {
            for (String ext : List.of(".jpg", ".jpeg", ".JPG", ".JPEG", ".bmp", ".BMP")) {
                if (Files.isRegularFile(file.resolveSibling(stem + ext))) {
                    return true;   // MTD: the mask is a .png beside its .jpg
                }
            }
        }
        return false;
    }
}

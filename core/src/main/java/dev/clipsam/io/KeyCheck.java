package dev.clipsam.io;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How a checkpoint's tensors compare with what an architecture expects: missing keys, keys of the wrong shape,
 * and unexpected keys (the {@code load_state_dict(strict=True)} report).
 */
public record KeyCheck(List<String> missing, List<String> wrongShape, List<String> unexpected) {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(KeyCheck.class);

    public static KeyCheck compare(Map<String, long[]> expected, TensorSource source, Set<String> ignored) {
        List<String> missing = new ArrayList<>();
        List<String> wrongShape = new ArrayList<>();
        expected.forEach((name, shape) -> {
            if (!source.contains(name)) {
                missing.add(name);
            } else if (!Arrays.equals(shape, source.shape(name))) {
                wrongShape.add(name + " " + Arrays.toString(source.shape(name)) + " (expected " + Arrays.toString(shape)
                        + ")");
            }
        });
        List<String> unexpected = source.tensors().stream().map(TensorInfo::name)
                .filter(n -> !expected.containsKey(n) && !ignored.contains(n)).toList();
        return new KeyCheck(List.copyOf(missing), List.copyOf(wrongShape), unexpected);
    }

    /**
     * Refuses a checkpoint that lacks a tensor or has one of the wrong shape, and logs a warning naming the first
     * tensor the model does not use, if any.
     *
     * @param model what the file should hold, e.g. "SAM vit_h"
     * @throws CheckpointException naming the file and the problem
     */
    public void requireLoadable(java.nio.file.Path file, String model) {
        if (!loadable()) {
            throw new CheckpointException(file, "is not a complete " + model + ": " + problem());
        }
        if (!unexpected.isEmpty()) {
            LOG.warn("{}: {} tensors not used by {} (first: {})", file, unexpected.size(), model, unexpected.get(0));
        }
    }

    /** True when every expected tensor is present with its shape. */
    public boolean loadable() {
        return missing.isEmpty() && wrongShape.isEmpty();
    }

    /** One line describing why the checkpoint cannot be loaded, e.g. "12 tensors missing (first: ...)". */
    public String problem() {
        List<String> parts = new ArrayList<>();
        if (!missing.isEmpty()) {
            parts.add(missing.size() + " tensors missing (first: " + String.join(", ", first(missing)) + ")");
        }
        if (!wrongShape.isEmpty()) {
            parts.add(wrongShape.size() + " tensors of the wrong shape (first: " + String.join(", ", first(wrongShape))
                    + ")");
        }
        return String.join("; ", parts);
    }

    private static List<String> first(List<String> names) {
        return names.subList(0, Math.min(3, names.size()));
    }
}

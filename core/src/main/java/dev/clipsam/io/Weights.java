package dev.clipsam.io;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Hands a model builder the tensors of a checkpoint (or any {@link TensorSource}) by state-dict name, converted
 * to the wanted dtype, and remembers which names were taken so that leftovers can be reported as unexpected keys. Loaded tensors belong
 * to the model (outside any {@code PointerScope}); it frees them with {@link #release}.
 */
public final class Weights {

    private final TensorSource source;
    private final String prefix;
    private final Set<String> used;
    private final List<Tensor> loaded;

    public Weights(TensorSource source) {
        this(source, "", new LinkedHashSet<>(), new ArrayList<>());
    }

    private Weights(TensorSource source, String prefix, Set<String> used, List<Tensor> loaded) {
        this.source = source;
        this.prefix = prefix;
        this.used = used;
        this.loaded = loaded;
    }

    /** The tensors under {@code name.} (e.g. {@code visual}, then {@code transformer.resblocks.3}). */
    public Weights child(String name) {
        return new Weights(source, prefix + name + ".", used, loaded);
    }

    public Weights child(int index) {
        return child(Integer.toString(index));
    }

    public boolean has(String name) {
        return source.contains(prefix + name);
    }

    public long[] shape(String name) {
        return source.shape(require(name));
    }

    /**
     * Loads {@code name} in {@code dtype}; a missing tensor is a {@link CheckpointException}. Temporaries of the
     * load (the stored-dtype buffer) are freed at once; the tensor itself is in no scope and lives until the model
     * that owns it calls {@link #release}.
     */
    public Tensor tensor(String name, ScalarType dtype) {
        String key = require(name);
        used.add(key);
        Tensor t;
        try (PointerScope scope = new PointerScope()) {
            t = source.loadFinite(key, dtype);
            t.retainReference();
        }
        loaded.add(t);
        return t;
    }

    /**
     * Makes a tensor computed from loaded ones (a quantized weight, say) the model's, freed with the rest by
     * {@link #release}; {@code t} must be in no {@code PointerScope} (or retained).
     */
    public Tensor own(Tensor t) {
        loaded.add(t);
        return t;
    }

    /** Frees a loaded tensor the model no longer needs (the float32 weight once its quantized copy exists). */
    public void free(Tensor t) {
        for (int i = loaded.size() - 1; i >= 0; i--) {
            if (loaded.get(i) == t) {
                loaded.remove(i);
                t.releaseReference();
                return;
            }
        }
        throw new IllegalArgumentException("not a tensor of this model");
    }

    /** Every tensor loaded through this accessor (and its children). */
    public List<Tensor> loaded() {
        return List.copyOf(loaded);
    }

    /** Frees tensors a model owned. */
    public static void release(List<Tensor> tensors) {
        for (Tensor t : tensors) {
            t.releaseReference();
        }
    }

    /** Loads {@code name} in float32. */
    public Tensor tensor(String name) {
        return tensor(name, ScalarType.Float);
    }

    /** Checkpoint tensors no builder asked for, excluding those {@code ignored} accepts. */
    public List<String> unused(Predicate<String> ignored) {
        return source.tensors().stream().map(TensorInfo::name).filter(n -> !used.contains(n))
                .filter(ignored.negate()).toList();
    }

    public TensorSource source() {
        return source;
    }

    private String require(String name) {
        String key = prefix + name;
        if (!source.contains(key)) {
            throw new CheckpointException(source.path(), "has no tensor " + key);
        }
        return key;
    }
}

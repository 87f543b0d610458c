package dev.clipsam.nn;

import java.util.function.Supplier;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * Native-memory discipline for forward passes. A {@link PointerScope} frees every tensor created in it when it
 * closes; without inner scopes, one scope per image would keep every intermediate of every block alive until the
 * image is done (3 GB for ViT-L/14 at 518 px). {@link #keep} runs one step in its own scope and hands only its
 * result to the enclosing scope.
 */
public final class Scopes {

    private Scopes() {
    }

    /** Runs {@code step} in an inner scope; its result survives and belongs to the enclosing scope (if any). */
    public static Tensor keep(Supplier<Tensor> step) {
        Tensor result;
        try (PointerScope inner = new PointerScope()) {
            result = step.get();
            result.retainReference();
        }
        return adopt(result);
    }

    /** Hands a tensor that is in no scope (reference count 1) to the enclosing scope, if there is one. */
    public static <P extends Pointer> P adopt(P pointer) {
        PointerScope outer = PointerScope.getInnerScope();
        if (outer != null) {
            outer.attach(pointer);
            pointer.releaseReference();
        }
        return pointer;
    }

    /** Frees a tensor of the enclosing scope now instead of when the scope closes. */
    public static void free(Tensor t) {
        PointerScope outer = PointerScope.getInnerScope();
        if (outer != null) {
            outer.detach(t);
        } else {
            t.releaseReference();
        }
    }
}

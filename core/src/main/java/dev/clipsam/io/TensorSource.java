package dev.clipsam.io;

import java.nio.file.Path;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Named tensors a model can be built from: a checkpoint file, or random weights of a given architecture. */
public interface TensorSource {

    /** Where the tensors come from, for messages. */
    Path path();

    List<TensorInfo> tensors();

    boolean contains(String name);

    long[] shape(String name);

    /** A new contiguous tensor converted to {@code dtype}. */
    Tensor load(String name, ScalarType dtype);

    /**
     * {@link #load}, refusing a floating-point tensor that holds NaN or an infinity (a broken checkpoint would
     * otherwise give NaN scores, not an error).
     */
    default Tensor loadFinite(String name, ScalarType dtype) {
        Tensor t = load(name, dtype);
        if (t.is_floating_point() && !org.bytedeco.pytorch.global.torch.isfinite(t).all().item_bool()) {
            throw new CheckpointException(path(), "tensor " + name + " holds NaN or infinite values");
        }
        return t;
    }
}

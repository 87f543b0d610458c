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
}

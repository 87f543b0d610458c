package dev.clipsam.clip;

import dev.clipsam.io.Weights;
import dev.clipsam.nn.Activation;
import dev.clipsam.nn.Precision;
import dev.clipsam.nn.Scopes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bytedeco.pytorch.Tensor;

/** A stack of {@link ResidualAttentionBlock}s (OpenAI clip/model.py {@code Transformer}). */
final class Transformer {

    private final List<ResidualAttentionBlock> blocks = new ArrayList<>();

    Transformer(Weights w, int layers, int heads, Activation activation, Precision precision) {
        for (int i = 0; i < layers; i++) {
            blocks.add(new ResidualAttentionBlock(w.child("resblocks").child(i), heads, activation, precision));
        }
    }

    int layers() {
        return blocks.size();
    }

    /** Runs every block. */
    Tensor forward(Tensor x, boolean causal) {
        return forward(x, causal, new int[] {blocks.size()}).get(blocks.size());
    }

    /**
     * Runs blocks 1..max(wanted) and returns the residual stream after each wanted block (1-based numbers, as
     * the paper's 6/12/18/24), in increasing order. Blocks after the last wanted one are not run.
     */
    Map<Integer, Tensor> forward(Tensor x, boolean causal, int[] wanted) {
        TreeMap<Integer, Tensor> out = new TreeMap<>();
        int last = 0;
        for (int n : wanted) {
            if (n < 1 || n > blocks.size()) {
                throw new IllegalArgumentException("block " + n + " does not exist (1.." + blocks.size() + ")");
            }
            last = Math.max(last, n);
        }
        Tensor input = x;
        for (int i = 0; i < last; i++) {
            ResidualAttentionBlock block = blocks.get(i);
            Tensor in = x;
            x = Scopes.keep(() -> block.forward(in, causal));
            if (in != input && !out.containsValue(in)) {
                Scopes.free(in);
            }
            for (int n : wanted) {
                if (n == i + 1) {
                    out.put(n, x);
                }
            }
        }
        return out;
    }
}

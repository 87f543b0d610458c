package dev.clipsam.umci;

import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * AdamW with decoupled weight decay, operation for operation as torch's {@code _single_tensor_adamw} (torch 1.13,
 * our reference implementation, docs/DESIGN.md §4): {@code w ← w(1 − lr·wd)}; {@code m ← β1 m + (1 − β1) g}; {@code v ← β2 v + (1 − β2) g²};
 * {@code w ← w − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + eps)}. Its state (m, v, t) can be saved and restored,
 * which a resumable training needs.
 */
public final class AdamW implements AutoCloseable {

    /** Hyper-parameters (torch defaults except the learning rate). */
    public record Options(double lr, double beta1, double beta2, double eps, double weightDecay) {
        public static Options of(double lr) {
            return new Options(lr, 0.9, 0.999, 1e-8, 0.01);
        }
    }

    private final Map<String, Tensor> params;
    private final Options options;
    private final Map<String, Tensor> expAvg = new LinkedHashMap<>();
    private final Map<String, Tensor> expAvgSq = new LinkedHashMap<>();
    private long step;

    public AdamW(Map<String, Tensor> params, Options options) {
        this.params = new LinkedHashMap<>(params);
        this.options = options;
        try (PointerScope scope = new PointerScope()) {
            for (Map.Entry<String, Tensor> e : this.params.entrySet()) {
                Tensor m = torch.zeros_like(e.getValue()).detach();
                Tensor v = torch.zeros_like(e.getValue()).detach();
                m.retainReference();
                v.retainReference();
                expAvg.put(e.getKey(), m);
                expAvgSq.put(e.getKey(), v);
            }
        }
    }

    public long stepCount() {
        return step;
    }

    /** Clears the gradients before the next backward pass. */
    public void zeroGrad() {
        try (NoGradGuard guard = new NoGradGuard(); PointerScope scope = new PointerScope()) {
            for (Tensor p : params.values()) {
                Tensor g = p.grad();
                if (g.defined()) {
                    g.zero_();
                }
            }
        }
    }

    /** One update from the gradients accumulated in the parameters. */
    public void step() {
        step++;
        double bias1 = 1 - Math.pow(options.beta1(), step);
        double bias2 = 1 - Math.pow(options.beta2(), step);
        double stepSize = options.lr() / bias1;
        double bias2Sqrt = Math.sqrt(bias2);
        try (NoGradGuard guard = new NoGradGuard(); PointerScope scope = new PointerScope()) {
            for (Map.Entry<String, Tensor> e : params.entrySet()) {
                Tensor p = e.getValue();
                Tensor g = p.grad();
                if (!g.defined()) {
                    continue;
                }
                Tensor m = expAvg.get(e.getKey());
                Tensor v = expAvgSq.get(e.getKey());
                p.mul_(new Scalar(1 - options.lr() * options.weightDecay()));
                m.mul_(new Scalar(options.beta1())).add_(g, new Scalar(1 - options.beta1()));
                v.mul_(new Scalar(options.beta2())).addcmul_(g, g, new Scalar(1 - options.beta2()));
                Tensor denom = v.sqrt().div(new Scalar(bias2Sqrt)).add_(new Scalar(options.eps()));
                p.addcdiv_(m, denom, new Scalar(-stepSize));
            }
        }
    }

    /** State for a checkpoint: {@code m.<name>}, {@code v.<name>} (step kept separately). */
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        expAvg.forEach((k, t) -> out.put("m." + k, t));
        expAvgSq.forEach((k, t) -> out.put("v." + k, t));
        return out;
    }

    /** Restores {@link #state()} and the step count. */
    public void restore(Map<String, Tensor> state, long steps) {
        try (NoGradGuard guard = new NoGradGuard(); PointerScope scope = new PointerScope()) {
            for (String k : params.keySet()) {
                Tensor m = state.get("m." + k);
                Tensor v = state.get("v." + k);
                if (m == null || v == null) {
                    throw new IllegalArgumentException("optimizer state lacks " + k);
                }
                expAvg.get(k).copy_(m);
                expAvgSq.get(k).copy_(v);
            }
        }
        this.step = steps;
    }

    @Override
    public void close() {
        expAvg.values().forEach(Tensor::releaseReference);
        expAvgSq.values().forEach(Tensor::releaseReference);
        expAvg.clear();
        expAvgSq.clear();
    }
}

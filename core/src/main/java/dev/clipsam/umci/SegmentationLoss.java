package dev.clipsam.umci;

import java.util.List;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * ClipSAM's training loss (paper §3.4 eq. 10-12, docs/DESIGN.md §4): per stage, focal loss (γ = 2) plus dice loss on the
 * abnormal probability, weighted over stages (0.1, 0.1, 0.1, 0.7).
 *
 * <ul>
 * <li>focal: mean over all pixels of {@code -(1 - p_t)^γ log p_t}, {@code p_t} the probability of the true class
 * clamped to {@code [1e-8, 1]};</li>
 * <li>dice per sample: {@code 1 - (2 Σ p g + 1) / (Σ p² + Σ g² + 1)}, averaged over the batch.</li>
 * </ul>
 */
public final class SegmentationLoss {

    /** The parts of the loss of a batch. */
    public record Parts(List<Tensor> focal, List<Tensor> dice, List<Tensor> dicePerSample, List<Tensor> stage,
            Tensor total) {
    }

    static final double GAMMA = 2.0;
    static final double EPS = 1e-8;
    static final double SMOOTH = 1.0;

    private SegmentationLoss() {
    }

    /**
     * @param probs per stage {@code [B, 2, S, S]}
     * @param gt    {@code [B, S, S]} in {0, 1}
     */
    public static Parts compute(List<Tensor> probs, Tensor gt, List<Double> stageWeights) {
        List<Tensor> focal = new java.util.ArrayList<>();
        List<Tensor> dice = new java.util.ArrayList<>();
        List<Tensor> perSample = new java.util.ArrayList<>();
        List<Tensor> stage = new java.util.ArrayList<>();
        Tensor total = null;
        Tensor positive = gt.gt(new Scalar(0.5));
        for (int s = 0; s < probs.size(); s++) {
            Tensor p = probs.get(s);
            Tensor p1 = p.select(1, 1);
            Tensor pt = torch.where(positive, p1, p.select(1, 0)).clamp(new ScalarOptional(new Scalar(EPS)),
                    new ScalarOptional(new Scalar(1.0)));
            Tensor f = pt.neg().add(new Scalar(1.0)).pow(new Scalar(GAMMA)).mul(torch.log(pt)).neg().mean();
            Tensor inter = p1.mul(gt).sum(new long[] {1, 2});
            Tensor den = p1.mul(p1).sum(new long[] {1, 2}).add(gt.mul(gt).sum(new long[] {1, 2}));
            Tensor d = inter.mul(new Scalar(2.0)).add(new Scalar(SMOOTH)).div(den.add(new Scalar(SMOOTH))).neg()
                    .add(new Scalar(1.0));
            Tensor dm = d.mean();
            Tensor st = f.add(dm);
            focal.add(f);
            dice.add(dm);
            perSample.add(d);
            stage.add(st);
            Tensor weighted = st.mul(new Scalar(stageWeights.get(s)));
            total = total == null ? weighted : total.add(weighted);
        }
        return new Parts(focal, dice, perSample, stage, total);
    }
}

package dev.clipsam.umci;

import dev.clipsam.io.Checkpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * ClipSAM's CLIP-stage head: one independent module per CLIP stage ({@link Umci}, or APRIL-GAN's linear projection for
 * the "w/o UMCI" ablation), each turning that stage's patch tokens and the text features into 2-class logits; the
 * logits are resized to the image (bilinear, align_corners=True, as APRIL-GAN), soft-maxed, and the abnormal
 * probabilities averaged over stages into the rough map (docs/DESIGN.md §1, §3.6).
 */
public final class AnomalyHead implements AutoCloseable {

    /** APRIL-GAN's logit scale of the linear head: 100 x cosine. */
    static final double LINEAR_LOGIT_SCALE = 100.0;

    private final HeadConfig config;
    private final ParamStore params;
    private final List<Umci> stages = new ArrayList<>();
    private final List<Tensor[]> linear = new ArrayList<>();

    private AnomalyHead(HeadConfig config, ParamStore params) {
        this.config = config;
        this.params = params;
        for (int i = 0; i < config.stages().size(); i++) {
            String prefix = "stages." + i + ".";
            if (config.type() == HeadType.LINEAR) {
                linear.add(new Tensor[] {
                    params.get(prefix + "proj.weight", new long[] {config.textDim(), config.clipWidth()},
                            config.clipWidth()),
                    params.get(prefix + "proj.bias", new long[] {config.textDim()}, config.clipWidth())});
            } else {
                stages.add(new Umci(params, prefix, config));
            }
        }
    }

    /** A new head with weights initialised as torch does, from {@code seed}. */
    public static AnomalyHead create(HeadConfig config, long seed) {
        return new AnomalyHead(config, ParamStore.initialised(seed));
    }

    /** A head with weights from a checkpoint (keys {@code stages.<i>.<module key>}). */
    public static AnomalyHead load(HeadConfig config, Checkpoint checkpoint) {
        ParamStore params = ParamStore.from(checkpoint);
        try {
            AnomalyHead head = new AnomalyHead(config, params);
            List<String> unused = params.unused();
            if (!unused.isEmpty()) {
                throw new dev.clipsam.io.CheckpointException(checkpoint.path(), unused.size()
                        + " tensors do not belong to a " + config.type().id() + " head (first: " + unused.get(0) + ")");
            }
            return head;
        } catch (RuntimeException e) {
            params.close();
            throw e;
        }
    }

    public HeadConfig config() {
        return config;
    }

    /** Trainable parameters by name, in module order. */
    public Map<String, Tensor> parameters() {
        return params.all();
    }

    public long parameterCount() {
        return params.count();
    }

    /**
     * Logits of one stage {@code [B, 2, H, W]}.
     *
     * @param tokens {@code [B, C, H, W]}
     * @param text   {@code [B, 2, Ct]}
     */
    public Tensor stageLogits(int stage, Tensor tokens, Tensor text, Map<String, Tensor> trace) {
        if (config.type() != HeadType.LINEAR) {
            return stages.get(stage).forward(tokens, text, trace);
        }
        Tensor[] proj = linear.get(stage);
        Tensor pHat = Ops.l2normalize(Ops.pixelLinear(tokens, proj[0], proj[1]), 1);   // [B, Ct, H, W]
        Tensor l = Ops.l2normalize(text, -1);                                           // [B, 2, Ct]
        long b = pHat.size(0);
        long h = pHat.size(2);
        long w = pHat.size(3);
        Tensor cos = l.matmul(pHat.flatten(2, 3));                                      // [B, 2, H*W]
        return cos.mul(new Scalar(LINEAR_LOGIT_SCALE)).reshape(b, 2, h, w);
    }

    /**
     * The full head.
     *
     * @param tokens    per stage {@code [B, C, H, W]}, in the order of {@code config.stages()}
     * @param text      {@code [B, 2, Ct]}
     * @param imageSize S, the side of the probability maps
     */
    public HeadOutput forward(List<Tensor> tokens, Tensor text, int imageSize) {
        if (tokens.size() != config.stages().size()) {
            throw new IllegalArgumentException(tokens.size() + " stages of tokens for a head of "
                    + config.stages().size());
        }
        List<Tensor> logits = new ArrayList<>();
        List<Tensor> upsampled = new ArrayList<>();
        List<Tensor> probs = new ArrayList<>();
        TensorVector abnormal = new TensorVector();
        for (int s = 0; s < tokens.size(); s++) {
            Tensor l = stageLogits(s, tokens.get(s), text, null);
            Tensor up = Ops.bilinear(l, imageSize, imageSize, true);
            Tensor p = torch.softmax(up, 1);
            logits.add(l);
            upsampled.add(up);
            probs.add(p);
            abnormal.push_back(p.select(1, 1));
        }
        Tensor rough = torch.stack(abnormal, 0).mean(new long[] {0});
        return new HeadOutput(logits, upsampled, probs, rough);
    }

    @Override
    public void close() {
        params.close();
    }
}

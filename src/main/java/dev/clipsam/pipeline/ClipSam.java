package dev.clipsam.pipeline;

import dev.clipsam.clip.ClipConfig;
import dev.clipsam.clip.PromptEnsemble;
import dev.clipsam.image.Image8;
import dev.clipsam.mmr.ImageScore;
import dev.clipsam.mmr.MaskRefinement;
import dev.clipsam.mmr.MmrConfig;
import dev.clipsam.mmr.RegionPrompts;
import dev.clipsam.mmr.SamSegmenter;
import dev.clipsam.mmr.Segmenter;
import dev.clipsam.nn.Tensors;
import dev.clipsam.sam.SamPredictor;
import dev.clipsam.sam.SamPrompt;
import dev.clipsam.umci.AnomalyHead;
import dev.clipsam.umci.HeadConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * ClipSAM on one image (DESIGN §1): one CLIP pass for all stages, the head's rough map O, then MMR with SAM
 * (one image embedding per image, none when no region survives) into O_final, and the image score. Native memory
 * of each image is freed when its prediction returns.
 */
public final class ClipSam {

    /**
     * Seconds spent per part of one prediction.
     *
     * @param clip       CLIP image tower (preprocessing included)
     * @param head       the anomaly head (text features of a new class included)
     * @param samEncoder SAM's image encoder, 0 when SAM was not needed
     * @param samDecoder SAM's prompt encoder, mask decoder and postprocessing, and the fusion
     */
    public record Timings(double clip, double head, double samEncoder, double samDecoder) {

        public double total() {
            return clip + head + samEncoder + samDecoder;
        }
    }

    /**
     * The result for one image.
     *
     * @param grid       S: the maps are S x S, the image squashed to a square
     * @param rough      O, the head's map (row-major)
     * @param finalMap   O_final after MMR; equal to O without SAM or without regions
     * @param prompts    the regions MMR found (boxes and points), or null when SAM is off
     * @param samScores  {@code [q, 3]} SAM's predicted IoUs per box (empty without boxes)
     * @param score      the image's anomaly score: max of the final map
     * @param topMean    mean of the 100 largest final-map values
     */
    public record Prediction(int grid, float[] rough, float[] finalMap, RegionPrompts prompts, float[] samScores,
            double score, double topMean, Timings timings) {

        public int regions() {
            return prompts == null ? 0 : prompts.boxes().size();
        }
    }

    private final ClipStages clip;
    private final AnomalyHead head;
    private final PromptEnsemble prompts;
    private final SamPredictor sam;
    private final MaskRefinement mmr;
    private final Map<String, float[]> textByClass = new HashMap<>();

    /**
     * @param sam SAM, or null for the rough map only (the paper's "w/o MMR")
     */
    public ClipSam(ClipStages clip, AnomalyHead head, PromptEnsemble prompts, SamPredictor sam, MmrConfig mmr) {
        String mismatch = mismatch(head.config(), clip.clip().config());
        if (mismatch != null) {
            throw new IllegalArgumentException(mismatch);
        }
        this.clip = clip;
        this.head = head;
        this.prompts = prompts;
        this.sam = sam;
        this.mmr = new MaskRefinement(mmr);
    }

    /** Why a head cannot read this CLIP's tokens and text features, or null when it can. */
    public static String mismatch(HeadConfig head, ClipConfig clip) {
        if (head.clipWidth() == clip.visionWidth() && head.textDim() == clip.embedDim()) {
            return null;
        }
        return "a head for CLIP width " + head.clipWidth() + " and text dim " + head.textDim() + " cannot read "
                + clip.name() + " (width " + clip.visionWidth() + ", text dim " + clip.embedDim() + ")";
    }

    public int grid() {
        return clip.imageSize();
    }

    public boolean usesSam() {
        return sam != null;
    }

    /**
     * The CLIP stage of one image: the head's rough map O.
     *
     * @param grid         S: the map is S x S, the image squashed to a square
     * @param values       O, row-major
     * @param clipSeconds  CLIP image tower (preprocessing included)
     * @param headSeconds  the head (text features of a class seen for the first time included)
     */
    public record RoughMap(int grid, float[] values, double clipSeconds, double headSeconds) {
    }

    /** Rough map and MMR: the whole of ClipSAM. */
    public Prediction predict(Image8 image, String className) {
        return refine(image, roughMap(image, className));
    }

    /** @param className used in the prompt ensemble; null or blank means {@code object} */
    public RoughMap roughMap(Image8 image, String className) {
        String name = className == null || className.isBlank() ? PromptEnsemble.UNKNOWN_CLASS : className;
        int s = grid();
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            long t0 = System.nanoTime();
            List<Tensor> tokens = clip.tokens(image);
            long t1 = System.nanoTime();
            float[] text = textByClass.computeIfAbsent(name, c -> clip.textFeatures(prompts, c));
            List<Tensor> batch = new ArrayList<>();
            tokens.forEach(t -> batch.add(t.unsqueeze(0)));
            float[] rough = Tensors.toFloats(head.forward(batch, Tensors.fromFloats(text, 1, 2, text.length / 2), s)
                    .rough());
            return new RoughMap(s, rough, seconds(t0, t1), seconds(t1, System.nanoTime()));
        }
    }

    /** MMR on a rough map of the image (nothing when SAM is off) and the image score. */
    public Prediction refine(Image8 image, RoughMap rough) {
        float[] o = rough.values();
        if (sam == null) {
            return new Prediction(rough.grid(), o, o, null, new float[0], ImageScore.max(o),
                    ImageScore.topMean(o, ImageScore.DEFAULT_TOP_K),
                    new Timings(rough.clipSeconds(), rough.headSeconds(), 0, 0));
        }
        try (PointerScope scope = new PointerScope()) {
            long t0 = System.nanoTime();
            TimedSegmenter timed = new TimedSegmenter(new SamSegmenter(sam));
            MaskRefinement.Result r = mmr.refine(image, o, rough.grid(), timed, false);
            double samSeconds = seconds(t0, System.nanoTime());
            float[] fin = r.finalMap();
            return new Prediction(rough.grid(), o, fin, r.prompts(), r.scores(), ImageScore.max(fin),
                    ImageScore.topMean(fin, ImageScore.DEFAULT_TOP_K), new Timings(rough.clipSeconds(),
                            rough.headSeconds(), timed.encoderSeconds, samSeconds - timed.encoderSeconds));
        }
    }

    private static double seconds(long from, long to) {
        return (to - from) / 1e9;
    }

    /** Measures SAM's image-encoder time apart from the decoding. */
    private static final class TimedSegmenter implements Segmenter {
        private final Segmenter inner;
        double encoderSeconds;

        TimedSegmenter(Segmenter inner) {
            this.inner = inner;
        }

        @Override
        public void setImage(Image8 image) {
            long t = System.nanoTime();
            inner.setImage(image);
            encoderSeconds += seconds(t, System.nanoTime());
        }

        @Override
        public GridMasks decode(List<SamPrompt> batch, int grid) {
            return inner.decode(batch, grid);
        }
    }
}

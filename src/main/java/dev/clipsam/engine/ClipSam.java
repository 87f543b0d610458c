package dev.clipsam.engine;

import dev.clipsam.clip.ClipConfig;
import dev.clipsam.clip.ClipModel;
import dev.clipsam.clip.PromptEnsemble;
import dev.clipsam.image.Image8;
import dev.clipsam.io.Checkpoint;
import dev.clipsam.io.CheckpointException;
import dev.clipsam.io.Hashing;
import dev.clipsam.io.OfficialCheckpoint;
import dev.clipsam.mmr.ImageScore;
import dev.clipsam.mmr.MaskRefinement;
import dev.clipsam.mmr.MmrConfig;
import dev.clipsam.mmr.SamSegmenter;
import dev.clipsam.mmr.Segmenter;
import dev.clipsam.nn.Activation;
import dev.clipsam.nn.Precision;
import dev.clipsam.nn.Tensors;
import dev.clipsam.nn.TorchRuntime;
import dev.clipsam.pipeline.ClipStages;
import dev.clipsam.pipeline.TextFeatureCache;
import dev.clipsam.sam.SamModel;
import dev.clipsam.sam.SamPredictor;
import dev.clipsam.sam.SamPrompt;
import dev.clipsam.umci.AnomalyHead;
import dev.clipsam.umci.HeadConfig;
import dev.clipsam.umci.HeadDescription;
import dev.clipsam.umci.HeadFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ClipSAM, the engine: CLIP, a trained head and SAM held in memory, and the whole method on one image at a
 * time (docs/DESIGN.md §1): one CLIP pass for all stages, the head's rough map O, then MMR with SAM (one image
 * embedding per image, none when no region survives) into O_final, and the image score. Native memory of each image is freed
 * when its prediction returns. {@link #open} loads and checks the models; {@link #close} frees them.
 *
 * <p>One engine serves one thread at a time (predictions are serialised on it).
 */
public final class ClipSam implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClipSam.class);

    private final ClipStages clip;
    private final AnomalyHead head;
    private final PromptEnsemble prompts;
    private final SamPredictor sam;
    private final MaskRefinement mmr;
    private final double threshold;
    private final HeadDescription description;
    private final ModelIdentity identity;
    private final List<AutoCloseable> owned;
    private final Map<String, float[]> textByClass = new HashMap<>();

    /**
     * An engine over models the caller owns (they are not closed with it).
     *
     * @param sam       SAM, or null for the rough map only (the paper's "w/o MMR")
     * @param threshold the mask threshold of predictions
     */
    public ClipSam(ClipStages clip, AnomalyHead head, PromptEnsemble prompts, SamPredictor sam, MmrConfig mmr,
            double threshold) {
        this(clip, head, prompts, sam, mmr, threshold, null, null, List.of());
    }

    private ClipSam(ClipStages clip, AnomalyHead head, PromptEnsemble prompts, SamPredictor sam, MmrConfig mmr,
            double threshold, HeadDescription description, ModelIdentity identity, List<AutoCloseable> owned) {
        String mismatch = mismatch(head.config(), clip.clip().config());
        if (mismatch != null) {
            throw new IllegalArgumentException(mismatch);
        }
        this.clip = clip;
        this.head = head;
        this.prompts = prompts;
        this.sam = sam;
        this.mmr = new MaskRefinement(mmr);
        this.threshold = threshold;
        this.description = description;
        this.identity = identity != null ? identity : new ModelIdentity(clip.clip().config().name(), "", sam == null
                ? "none" : "SAM", head.config().type().id(), "fp32", clip.imageSize());
        this.owned = List.copyOf(owned);
    }

    /**
     * Loads the head, then the CLIP it was trained on (refusing any other: SHA-256, depth and patch are checked
     * against the head's description), then SAM unless it is off. A missing or unusable file is a
     * {@link CheckpointException} naming it.
     */
    public static ClipSam open(EngineOptions options) throws IOException {
        Path headFile = options.head();
        if (!Files.isRegularFile(headFile)) {
            throw new CheckpointException(headFile, "head file not found (train one with clipsam train)");
        }
        Path clipFile = existing(options.clip(), OfficialCheckpoint.CLIP);
        Path samFile = options.useSam() ? existing(options.sam(), OfficialCheckpoint.SAM_VIT_H) : null;
        List<AutoCloseable> owned = new ArrayList<>();
        try {
            long t0 = System.nanoTime();
            HeadDescription description;
            AnomalyHead head;
            try (Checkpoint ckpt = Checkpoint.open(headFile)) {
                description = HeadFile.description(ckpt);
                head = AnomalyHead.load(description.config(), ckpt);
                owned.add(head);
            }
            // The digest is checked before CLIP loads (a wrong CLIP is refused in seconds), depth and patch after.
            String sha = Hashing.sha256(clipFile);
            if (!description.clip().sha256().equals(sha)) {
                throw new CheckpointException(headFile, description.mismatch(sha, 0, 1) + ", not on " + clipFile
                        + " (SHA-256 " + sha + "); use that CLIP or train a head for this one");
            }
            Activation activation = Activation.valueOf(description.clip().activation().toUpperCase(Locale.ROOT));
            ClipModel clipModel = ClipModel.load(clipFile, new ClipModel.Options(options.precision(), activation));
            owned.add(clipModel);
            String problem = description.mismatch(sha, clipModel.config().visionLayers(),
                    clipModel.config().visionPatchSize());
            if (problem != null) {
                throw new CheckpointException(headFile, problem + " (" + clipFile + ")");
            }
            String mismatch = mismatch(head.config(), clipModel.config());
            if (mismatch != null) {
                throw new CheckpointException(headFile, "holds " + mismatch + " of " + clipFile);
            }
            SamPredictor predictor = null;
            String samName = "none";
            if (samFile != null) {
                SamModel samModel = SamModel.load(samFile, options.precision());
                owned.add(samModel);
                predictor = new SamPredictor(samModel);
                owned.add(0, predictor);
                samName = samModel.config().name() + " (" + samFile.getFileName() + ")";
            }
            String precision = options.precision().name().toLowerCase(Locale.ROOT);
            ClipStages stages = new ClipStages(clipModel, description.imageSize(), head.config().stages(),
                    textCache(sha, options.precision(), activation));
            ModelIdentity identity = new ModelIdentity(clipModel.config().name() + " (" + clipFile.getFileName()
                    + ")", sha, samName, head.config().type().id() + " (" + headFile.getFileName() + ")", precision,
                    description.imageSize());
            double threshold = options.threshold() != null ? options.threshold() : description.threshold();
            LOG.info("models loaded in {} s: CLIP {}, head {}, SAM {}, {}, {} px, mask threshold {}",
                    String.format(Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e9), identity.clip(),
                    identity.head(), identity.sam(), precision, description.imageSize(), threshold);
            return new ClipSam(stages, head, PromptEnsemble.winclip(), predictor, options.mmr(), threshold, description,
                    identity, owned);
        } catch (RuntimeException | IOException e) {
            closeAll(owned);
            throw e;
        }
    }

    /** Where text features of this CLIP, run this way, with the WinCLIP prompt ensemble are kept. */
    public static TextFeatureCache textCache(String clipSha256, Precision precision, Activation activation) {
        return new TextFeatureCache(Locations.textCache(), TextFeatureCache.key(clipSha256,
                precision.name().toLowerCase(Locale.ROOT), activation.name().toLowerCase(Locale.ROOT), "winclip"));
    }

    /** The file given, else the official checkpoint's default place; it must exist. */
    public static Path existing(Path given, OfficialCheckpoint official) {
        Path file = given != null ? given : Locations.checkpoint(official);
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException(file, "checkpoint not found; " + official.howToGet());
        }
        return file;
    }

    /** Why a head cannot read this CLIP's tokens and text features, or null when it can. */
    public static String mismatch(HeadConfig head, ClipConfig clip) {
        if (head.clipWidth() == clip.visionWidth() && head.textDim() == clip.embedDim()) {
            return null;
        }
        return "a head for CLIP width " + head.clipWidth() + " and text dim " + head.textDim() + " cannot read "
                + clip.name() + " (width " + clip.visionWidth() + ", text dim " + clip.embedDim() + ")";
    }

    /** S: the maps are S x S. */
    public int grid() {
        return clip.imageSize();
    }

    /** The mask threshold of this engine's predictions. */
    public double threshold() {
        return threshold;
    }

    /** The loaded head's description (null for an engine over caller-owned models). */
    public HeadDescription description() {
        return description;
    }

    public ModelIdentity identity() {
        return identity;
    }

    public HeadConfig headConfig() {
        return head.config();
    }

    public ClipConfig clipConfig() {
        return clip.clip().config();
    }

    /** Whether MMR runs (SAM is loaded). */
    public boolean refines() {
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

    /**
     * Rough map and MMR: the whole of ClipSAM.
     *
     * @param className used in the prompt ensemble; null or blank means {@code object}
     */
    public synchronized Prediction predict(Image8 image, String className) {
        return refine(image, roughMap(image, className));
    }

    /** @param className used in the prompt ensemble; null or blank means {@code object} */
    public synchronized RoughMap roughMap(Image8 image, String className) {
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
    public synchronized Prediction refine(Image8 image, RoughMap rough) {
        float[] o = rough.values();
        if (sam == null) {
            return new Prediction(rough.grid(), o, o, null, new float[0], ImageScore.max(o),
                    ImageScore.topMean(o, ImageScore.DEFAULT_TOP_K), threshold, image.width(), image.height(),
                    new Timings(rough.clipSeconds(), rough.headSeconds(), 0, 0));
        }
        try (PointerScope scope = new PointerScope()) {
            long t0 = System.nanoTime();
            TimedSegmenter timed = new TimedSegmenter(new SamSegmenter(sam));
            MaskRefinement.Result r = mmr.refine(image, o, rough.grid(), timed, false);
            double samSeconds = seconds(t0, System.nanoTime());
            float[] fin = r.finalMap();
            return new Prediction(rough.grid(), o, fin, r.prompts(), r.scores(), ImageScore.max(fin),
                    ImageScore.topMean(fin, ImageScore.DEFAULT_TOP_K), threshold, image.width(), image.height(),
                    new Timings(rough.clipSeconds(), rough.headSeconds(), timed.encoderSeconds,
                            samSeconds - timed.encoderSeconds));
        }
    }

    @Override
    public void close() {
        closeAll(owned);
    }

    private static void closeAll(List<AutoCloseable> resources) {
        for (AutoCloseable c : resources) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("closing {}: {}", c, e.toString());
            }
        }
    }

    private static double seconds(long from, long to) {
        return (to - from) / 1e9;
    }

    static {
        TorchRuntime.ensureInitialised();
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

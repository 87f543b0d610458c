package dev.clipsam.engine;

import dev.clipsam.clip.ClipConfig;
import dev.clipsam.clip.ClipModel;
import dev.clipsam.clip.PromptEnsemble;
import dev.clipsam.fewshot.ReferenceMemory;
import dev.clipsam.image.Image8;
import dev.clipsam.image.ImageFiles;
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
    private ReferenceMemory references;
    private final Map<String, ReferenceMemory> classReferences = new java.util.TreeMap<>();
    private final ReferenceMemory.Combine combine;
    private final String referenceKey;   // CLIP, precision, activation: what reference tokens depend on
    private final PromptEnsemble prompts;
    private final SamPredictor sam;
    private final MaskRefinement mmr;
    private final double threshold;
    private final HeadDescription description;
    private final ModelIdentity identity;
    private final List<AutoCloseable> owned;   // closed in order by close()
    private final Map<String, float[]> textByClass = new HashMap<>();

    /**
     * An engine over models the caller owns (they are not closed with it).
     *
     * @param sam       SAM, or null for the rough map only (the paper's "w/o MMR")
     * @param threshold the mask threshold of predictions
     */
    public ClipSam(ClipStages clip, AnomalyHead head, PromptEnsemble prompts, SamPredictor sam, MmrConfig mmr,
            double threshold) {
        this(clip, head, null, prompts, sam, mmr, threshold, null, null, List.of());
    }

    private ClipSam(ClipStages clip, AnomalyHead head, ReferenceMemory references, PromptEnsemble prompts,
            SamPredictor sam, MmrConfig mmr, double threshold, HeadDescription description, ModelIdentity identity,
            List<AutoCloseable> owned) {
        String mismatch = head == null ? null : mismatch(head.config(), clip.clip().config());
        if (mismatch != null) {
            throw new IllegalArgumentException(mismatch);
        }
        if (head == null && references == null) {
            throw new IllegalArgumentException("an engine needs a head or reference images");
        }
        this.clip = clip;
        this.head = head;
        this.references = references;
        this.combine = references != null ? references.combine() : ReferenceMemory.Combine.MEAN;
        this.referenceKey = identity == null ? "" : identity.clipSha256() + "-" + identity.precision();
        this.prompts = prompts;
        this.sam = sam;
        this.mmr = new MaskRefinement(mmr);
        this.threshold = threshold;
        this.description = description;
        this.identity = identity != null ? identity : new ModelIdentity(clip.clip().config().name(), "", sam == null
                ? "none" : "SAM", head == null ? "none" : head.config().type().id(), "fp32", clip.imageSize());
        this.owned = new ArrayList<>(owned);
    }

    /**
     * Loads the head, then the CLIP it was trained on (refusing any other: SHA-256, depth and patch are checked
     * against the head's description), then SAM unless it is off. A missing or unusable file is a
     * {@link CheckpointException} naming it.
     */
    public static ClipSam open(EngineOptions options) throws IOException {
        dev.clipsam.nn.KernelTuning.persistIn(Locations.tuning());
        Path headFile = options.head();
        if (headFile != null && !Files.isRegularFile(headFile)) {
            throw new CheckpointException(headFile, "head file not found (train one with clipsam train)");
        }
        List<Path> refFiles = referenceFiles(options.refs());
        Path clipFile = existing(options.clip(), OfficialCheckpoint.CLIP);
        Path samFile = options.useSam() ? existing(options.sam(), OfficialCheckpoint.SAM_VIT_H) : null;
        List<AutoCloseable> owned = new ArrayList<>();
        try {
            long t0 = System.nanoTime();
            HeadDescription description = null;
            AnomalyHead head = null;
            if (headFile != null) {
                try (Checkpoint ckpt = Checkpoint.open(headFile)) {
                    description = HeadFile.description(ckpt);
                    head = AnomalyHead.load(description.config(), ckpt);
                    owned.add(head);
                }
            }
            // The digest is checked before CLIP loads (a wrong CLIP is refused in seconds), depth and patch after.
            String sha = Hashing.sha256(clipFile);
            if (description != null && !description.clip().sha256().equals(sha)) {
                throw new CheckpointException(headFile, description.mismatch(sha, 0, 1) + ", not on " + clipFile
                        + " (SHA-256 " + sha + "); use that CLIP or train a head for this one");
            }
            Activation activation = description == null ? Activation.QUICK_GELU
                    : Activation.valueOf(description.clip().activation().toUpperCase(Locale.ROOT));
            ClipModel clipModel = ClipModel.load(clipFile, new ClipModel.Options(options.precision(), activation));
            owned.add(clipModel);
            if (description != null) {
                String problem = description.mismatch(sha, clipModel.config().visionLayers(),
                        clipModel.config().visionPatchSize());
                if (problem != null) {
                    throw new CheckpointException(headFile, problem + " (" + clipFile + ")");
                }
                String mismatch = mismatch(head.config(), clipModel.config());
                if (mismatch != null) {
                    throw new CheckpointException(headFile, "holds " + mismatch + " of " + clipFile);
                }
            }
            int imageSize = description != null ? description.imageSize() : options.imageSize();
            List<Integer> blocks = head != null ? head.config().stages() : options.stages();
            ClipStages stages;
            try {
                stages = new ClipStages(clipModel, imageSize, blocks, textCache(sha, options.precision(), activation));
            } catch (IllegalArgumentException e) {
                throw new RunException(e.getMessage() + " (--image-size, --stages)");
            }
            ReferenceMemory references = null;
            if (!refFiles.isEmpty()) {
                long r0 = System.nanoTime();
                references = references(stages, refFiles, options.combine(), sha + "-"
                        + options.precision().name().toLowerCase(Locale.ROOT), activation);
                owned.add(references);
                if (references.k() == 1) {
                    LOG.warn("one reference image: its map is not calibrated (that needs at least two); give two"
                            + " or more good images for a calibrated map");
                }
                LOG.info("{} reference images in {} s, tau {}", references.k(),
                        String.format(Locale.ROOT, "%.1f", (System.nanoTime() - r0) / 1e9), references.tau());
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
            String headName = head == null ? "none" : head.config().type().id() + " (" + headFile.getFileName() + ")";
            if (references != null) {
                headName += ", " + references.k() + " reference images";
            }
            ModelIdentity identity = new ModelIdentity(clipModel.config().name() + " (" + clipFile.getFileName()
                    + ")", sha, samName, headName, precision, imageSize);
            double threshold = options.threshold() != null ? options.threshold()
                    : description != null ? description.threshold() : 0.5;
            LOG.info("models loaded in {} s: CLIP {}, head {}, SAM {}, {}, {} px, mask threshold {}",
                    String.format(Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e9), identity.clip(),
                    identity.head(), identity.sam(), precision, imageSize, threshold);
            return new ClipSam(stages, head, references, PromptEnsemble.winclip(), predictor, options.mmr(),
                    threshold, description, identity, owned);
        } catch (RuntimeException | IOException e) {
            closeAll(owned);
            throw e;
        }
    }

    /** The image files of the references given (files or folders); none given is none. */
    private static List<Path> referenceFiles(List<Path> given) throws IOException {
        if (given.isEmpty()) {
            return List.of();
        }
        try {
            return InputImages.collect(given, null).stream().map(InputImages.Input::file).toList();
        } catch (IllegalArgumentException e) {
            throw new RunException(e.getMessage() + " (--refs)");
        }
    }

    /**
     * The references' memory at the engine's stages and size: read from a {@code refs build} artifact when one
     * file of that kind is given, else from the cache ({@code $CLIPSAM_HOME/refs}, keyed by the CLIP, precision,
     * activation, size, stages, combination and the images' SHA-256), else computed (one CLIP pass per image; an
     * unreadable image is refused by name) and cached.
     *
     * @param clipKey the CLIP's SHA-256 and precision
     */
    private static ReferenceMemory references(ClipStages stages, List<Path> files, ReferenceMemory.Combine combine,
            String clipKey, Activation activation) {
        String sha = clipKey.contains("-") ? clipKey.substring(0, clipKey.indexOf('-')) : clipKey;
        if (files.size() == 1 && files.get(0).getFileName().toString().endsWith(".safetensors")) {
            return artifact(files.get(0), stages, sha);
        }
        StringBuilder key = new StringBuilder(clipKey).append('|').append(activation).append('|')
                .append(stages.imageSize()).append('|').append(stages.blocks()).append('|').append(combine);
        try {
            for (Path f : files) {
                key.append('|').append(Hashing.sha256(f));
            }
        } catch (IOException e) {
            throw new RunException(e.getMessage() + " (--refs)");
        }
        Path cached = Locations.home().resolve("refs").resolve(
                Hashing.sha256(key.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)) + ".safetensors");
        if (Files.isRegularFile(cached)) {
            try (Checkpoint ckpt = Checkpoint.open(cached)) {
                LOG.info("references read from the cache {}", cached);
                return ReferenceMemory.load(ckpt);
            } catch (RuntimeException e) {
                LOG.warn("reference cache {} unreadable ({}); computing again", cached, e.getMessage());
            }
        }
        ReferenceMemory memory;
        try (PointerScope scope = new PointerScope()) {
            List<List<Tensor>> tokens = new ArrayList<>();
            for (Path file : files) {
                tokens.add(patchRows(stages.tokens(ImageFiles.read(file))));
            }
            memory = new ReferenceMemory(tokens, stages.grid(), stages.imageSize(), combine);
        }
        try {
            Map<String, String> provenance = new java.util.LinkedHashMap<>();
            provenance.put("clip_sha256", sha);
            provenance.put("stages", stages.blocks().toString());
            provenance.put("references", files.stream().map(f -> f.getFileName().toString()).toList().toString());
            dev.clipsam.io.AtomicFiles.write(cached, tmp -> memory.save(tmp, provenance));
            LOG.info("references cached in {}", cached);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot cache the references in {}: {}", cached, e.getMessage());
        }
        return memory;
    }

    /** A {@code refs build} artifact, refused unless made with this CLIP at these stages and size. */
    private static ReferenceMemory artifact(Path file, ClipStages stages, String clipSha) {
        try (Checkpoint ckpt = Checkpoint.open(file)) {
            com.fasterxml.jackson.databind.JsonNode meta = ReferenceMemory.description(ckpt);
            if (meta == null) {
                throw new CheckpointException(file, "is not a clipsam reference file (written by clipsam refs build)");
            }
            if (!clipSha.equals(meta.path("clip_sha256").asText())) {
                throw new CheckpointException(file, "was built with CLIP " + meta.path("clip_sha256").asText()
                        + ", not " + clipSha);
            }
            if (!stages.blocks().toString().equals(meta.path("stages").asText())
                    || meta.path("size").asInt() != stages.imageSize()) {
                throw new CheckpointException(file, "was built at " + meta.path("size").asInt() + " px, blocks "
                        + meta.path("stages").asText() + "; this run reads " + stages.imageSize() + " px, blocks "
                        + stages.blocks());
            }
            return ReferenceMemory.load(ckpt);
        }
    }

    /** {@code [C, G, G]} stage tokens as {@code [G², C]} rows (row-major grid). */
    private static List<Tensor> patchRows(List<Tensor> stageTokens) {
        List<Tensor> rows = new ArrayList<>();
        for (Tensor t : stageTokens) {
            rows.add(t.reshape(t.size(0), -1).t().contiguous());
        }
        return rows;
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

    /** The CLIP blocks the maps read. */
    public List<Integer> stages() {
        return clip.blocks();
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

    /** The head's configuration, or null in the training-free mode. */
    public HeadConfig headConfig() {
        return head == null ? null : head.config();
    }

    /**
     * Replaces the reference images (e.g. per class, as the few-shot evaluation does): their tokens are computed
     * now, at the engine's stages and size; an unreadable image is refused by name.
     */
    public synchronized void useReferences(List<Path> files) {
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no reference images");
        }
        ReferenceMemory fresh = references(clip, files, combine, referenceKey, clip.clip().options().activation());
        ReferenceMemory old = references;
        references = fresh;
        if (old != null) {
            owned.remove(old);
            old.close();
        }
        owned.add(fresh);
    }

    /**
     * Reference images of good parts for one class: its images are compared with these instead of the engine's own
     * references (a service learns a class's good parts at run time this way). Replaces that class's earlier ones.
     *
     * @return the class's memory (k images, calibration)
     */
    public synchronized ReferenceMemory useReferences(String className, List<Path> files) {
        if (className == null || className.isBlank()) {
            throw new IllegalArgumentException("a class name is needed for per-class references");
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no reference images");
        }
        ReferenceMemory fresh = references(clip, files, combine, referenceKey, clip.clip().options().activation());
        ReferenceMemory old = classReferences.put(className, fresh);
        if (old != null) {
            owned.remove(old);
            old.close();
        }
        owned.add(fresh);
        return fresh;
    }

    /** The classes with their own references, and their memories. */
    public synchronized Map<String, ReferenceMemory> classReferences() {
        return Map.copyOf(classReferences);
    }

    /** The references' memory, or null without references. */
    public ReferenceMemory references() {
        return references;
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

    /**
     * ClipSAM with other MMR settings for this image (a service's per-request options).
     *
     * @param mmr   MMR settings instead of the engine's, or null for the engine's
     * @param noSam the rough map only, SAM left out
     */
    public synchronized Prediction predict(Image8 image, String className, MmrConfig mmr, boolean noSam) {
        RoughMap rough = roughMap(image, className);
        if (noSam || sam == null) {
            return roughOnly(image, rough);
        }
        return refine(image, rough, mmr == null ? this.mmr : new MaskRefinement(mmr));
    }

    /** The engine's MMR settings. */
    public MmrConfig mmrConfig() {
        return mmr.config();
    }

    /** @param className used in the prompt ensemble; null or blank means {@code object} */
    public synchronized RoughMap roughMap(Image8 image, String className) {
        String name = className == null || className.isBlank() ? PromptEnsemble.UNKNOWN_CLASS : className;
        int s = grid();
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            long t0 = System.nanoTime();
            List<Tensor> tokens = clip.tokens(image);
            long t1 = System.nanoTime();
            float[] rough = null;
            if (head != null) {
                float[] text = textByClass.computeIfAbsent(name, c -> clip.textFeatures(prompts, c));
                List<Tensor> batch = new ArrayList<>();
                tokens.forEach(t -> batch.add(t.unsqueeze(0)));
                rough = Tensors.toFloats(head.forward(batch, Tensors.fromFloats(text, 1, 2, text.length / 2), s)
                        .rough());
            }
            ReferenceMemory memory = classReferences.getOrDefault(name, references);
            if (memory != null) {
                float[] n = memory.normalised(patchRows(tokens));
                if (rough == null) {
                    rough = n;
                } else {
                    for (int i = 0; i < rough.length; i++) {
                        rough[i] = (rough[i] + n[i]) / 2;   // docs/DESIGN.md §8: O = (O_head + N) / 2
                    }
                }
            }
            return new RoughMap(s, rough, seconds(t0, t1), seconds(t1, System.nanoTime()));
        }
    }

    /** MMR on a rough map of the image (nothing when SAM is off) and the image score. */
    public synchronized Prediction refine(Image8 image, RoughMap rough) {
        return sam == null ? roughOnly(image, rough) : refine(image, rough, mmr);
    }

    private Prediction roughOnly(Image8 image, RoughMap rough) {
        float[] o = rough.values();
        return new Prediction(rough.grid(), o, o, null, new float[0], ImageScore.max(o),
                ImageScore.topMean(o, ImageScore.DEFAULT_TOP_K), threshold, image.width(), image.height(),
                new Timings(rough.clipSeconds(), rough.headSeconds(), 0, 0));
    }

    private Prediction refine(Image8 image, RoughMap rough, MaskRefinement mmr) {
        float[] o = rough.values();
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

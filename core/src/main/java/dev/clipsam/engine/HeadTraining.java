package dev.clipsam.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clipsam.clip.ClipModel;
import dev.clipsam.clip.PromptEnsemble;
import dev.clipsam.data.Dataset;
import dev.clipsam.data.Sample;
import dev.clipsam.io.Hashing;
import dev.clipsam.io.OfficialCheckpoint;
import dev.clipsam.nn.Activation;
import dev.clipsam.nn.Precision;
import dev.clipsam.pipeline.ClipStages;
import dev.clipsam.pipeline.TokenCache;
import dev.clipsam.pipeline.Training;
import dev.clipsam.umci.AdamW;
import dev.clipsam.umci.AnomalyHead;
import dev.clipsam.umci.HeadConfig;
import dev.clipsam.umci.HeadDescription;
import dev.clipsam.umci.HeadFile;
import dev.clipsam.umci.HeadType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Trains an anomaly head on a dataset with masks and writes it as a head file (docs/DESIGN.md §4 and "Head format"):
 * tokens of every image through CLIP (cached), CLIP closed, then the head's epochs with a resume checkpoint after
 * each, the F1-optimal threshold on the training data, and the head's description with its provenance.
 */
public final class HeadTraining {

    /**
     * One training run.
     *
     * @param data         the dataset (every image with its mask; all of its test split, the zero-shot protocol)
     * @param out          the head file to write
     * @param clip         the CLIP checkpoint, or null for the official one in {@link Locations#home()}
     * @param type         the head: UMCI or an ablation
     * @param hidden       c_h
     * @param scales       the scale path's two pooling sizes
     * @param stages       CLIP blocks read (1-based)
     * @param stageWeights one loss weight per stage
     * @param cache        the token cache folder, or null for {@link Locations#tokenCache()}
     * @param resume       continue from {@link #resumeFile} when it exists
     * @param keepResume   keep the resume checkpoint after a successful run
     */
    public record Request(Dataset data, Path out, Path clip, HeadType type, int hidden, List<Integer> scales,
            List<Integer> stages, List<Double> stageWeights, int imageSize, int epochs, int batch, double lr,
            double weightDecay, long seed, Path cache, Precision precision, Activation activation, boolean resume,
            boolean keepResume) {
    }

    /** Progress of a run: Training's callbacks, and what the run is once CLIP is loaded. */
    public interface Listener extends Training.Listener {
        /** CLIP is loaded and the images counted: a one-line description of the run. */
        default void started(String description) {
        }

        /** Every image's tokens are ready. */
        default void tokensReady(int computed, int fromCache) {
        }
    }

    /**
     * What a run wrote.
     *
     * @param threshold     the F1-optimal threshold of the rough map on the training data
     * @param resumeDeleted whether the resume checkpoint was deleted at the end
     */
    public record Result(Path head, Path sidecar, double threshold, List<Double> epochLosses, long parameters,
            Path resumeFile, boolean resumeDeleted) {
    }

    private HeadTraining() {
    }

    /** {@code <out stem>.resume.safetensors} beside the head file. */
    public static Path resumeFile(Path out) {
        String name = out.getFileName().toString();
        String stem = name.endsWith(".safetensors") ? name.substring(0, name.length() - ".safetensors".length()) : name;
        return out.resolveSibling(stem + ".resume.safetensors");
    }

    /**
     * The images to train on; refuses (a {@link RunException} naming the dataset) a dataset with an anomalous image
     * without a mask, a wrong mask, or no images.
     */
    public static List<Training.Item> items(Dataset data) {
        List<Training.Item> items = new ArrayList<>();
        List<String> unmasked = new ArrayList<>();
        for (Sample s : data.all()) {
            if (s.anomalous() && s.mask() == null) {
                unmasked.add(s.image().toString());
            } else {
                items.add(new Training.Item(s.image(), s.className(), s.mask()));
            }
        }
        if (!unmasked.isEmpty()) {
            throw new RunException(data.root() + ": " + unmasked.size() + " anomalous images have no mask (first: "
                    + unmasked.get(0) + "); training needs every defect's mask");
        }
        if (items.isEmpty()) {
            throw new RunException(data.root() + ": no training images");
        }
        List<String> maskProblems = data.problems().stream().filter(p -> p.contains(": mask ")
                || p.contains(": is not a mask")).toList();
        if (!maskProblems.isEmpty()) {
            throw new RunException(maskProblems.get(0) + (maskProblems.size() > 1 ? " (and "
                    + (maskProblems.size() - 1) + " more mask problems; see clipsam data check)" : "")
                    + "; training needs every mask right");
        }
        return items;
    }

    /** Runs the training and writes the head; see the class comment. */
    public static Result run(Request r, Listener listener) throws IOException {
        List<Training.Item> items = items(r.data());
        Path clipFile = ClipSam.existing(r.clip(), OfficialCheckpoint.CLIP);
        String clipSha = Hashing.sha256(clipFile);
        String precision = r.precision().name().toLowerCase(Locale.ROOT);
        String activation = r.activation().name().toLowerCase(Locale.ROOT);
        Training training;
        HeadConfig config;
        HeadDescription.ClipIdentity clipIdentity;
        // CLIP is needed only to fill the token cache and for the text features: it is closed before training.
        try (ClipModel clip = ClipModel.load(clipFile, new ClipModel.Options(r.precision(), r.activation()))) {
            config = new HeadConfig(r.type(), clip.config().visionWidth(), clip.config().embedDim(), r.hidden(),
                    r.scales(), r.stages(), r.stageWeights());
            ClipStages clipStages;
            try {
                clipStages = new ClipStages(clip, r.imageSize(), r.stages(),
                        ClipSam.textCache(clipSha, r.precision(), r.activation()));
            } catch (IllegalArgumentException e) {
                throw new RunException(e.getMessage());
            }
            TokenCache cache = new TokenCache(r.cache() != null ? r.cache() : Locations.tokenCache(),
                    TokenCache.key(clipSha, r.imageSize(), r.stages(), precision, activation));
            training = new Training(clipStages, cache, new Training.Settings(config, r.imageSize(), r.epochs(),
                    r.batch(), new AdamW.Options(r.lr(), 0.9, 0.999, 1e-8, r.weightDecay()), r.seed()), items);
            listener.started(String.format(Locale.ROOT, "training a %s head (c_h %d, scales %s, stages %s) on %d"
                    + " images of %d classes from %s; CLIP %s at %d px; tokens cached in %s", r.type().id(),
                    r.hidden(), r.scales(), r.stages(), items.size(), r.data().classNames().size(), r.data().root(),
                    clip.config().name(), r.imageSize(), cache.directory()));
            training.prepare(PromptEnsemble.winclip(), listener);
            listener.tokensReady(cache.misses(), cache.hits());
            clipIdentity = new HeadDescription.ClipIdentity(clipFile.getFileName().toString(), clipSha,
                    clip.config().name(), clip.config().visionWidth(), clip.config().embedDim(),
                    clip.config().visionPatchSize(), precision, activation);
        }
        org.bytedeco.javacpp.Pointer.trimMemory();   // hand CLIP's freed memory back to the system
        Path checkpoint = resumeFile(r.out());
        Path resumeFrom = r.resume() && Files.isRegularFile(checkpoint) ? checkpoint : null;
        try (AnomalyHead head = AnomalyHead.create(config, r.seed())) {
            training.run(head, checkpoint, resumeFrom, listener);
            double threshold = training.f1Threshold(head);
            HeadFile.save(r.out(), head, new HeadDescription(config, r.imageSize(), clipIdentity, "winclip",
                    r.data().classNames(), threshold, provenance(r, items.size(), training)));
            boolean deleted = !r.keepResume() && Files.deleteIfExists(checkpoint);
            return new Result(r.out(), HeadFile.sidecar(r.out()), threshold, List.copyOf(training.epochLosses()),
                    head.parameterCount(), checkpoint, deleted);
        }
    }

    private static ObjectNode provenance(Request r, int images, Training training) {
        ObjectNode t = new ObjectMapper().createObjectNode();
        t.put("dataset", r.data().root().toAbsolutePath().toString());
        t.put("format", r.data().format().id());
        t.put("images", images);
        t.put("epochs", r.epochs());
        t.put("batch", r.batch());
        t.put("lr", r.lr());
        t.put("weight_decay", r.weightDecay());
        t.put("seed", r.seed());
        training.epochLosses().forEach(t.putArray("epoch_losses")::add);
        t.put("finished", Instant.now().toString());
        String version = HeadTraining.class.getPackage().getImplementationVersion();
        t.put("clipsam", version == null ? "development build" : version);
        return t;
    }
}

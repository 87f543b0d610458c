package dev.clipsam.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clipsam.clip.ClipModel;
import dev.clipsam.clip.PromptEnsemble;
import dev.clipsam.data.Dataset;
import dev.clipsam.data.Sample;
import dev.clipsam.engine.ClipSam;
import dev.clipsam.engine.Locations;
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
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code clipsam train}: trains the UMCI head (or an ablation head) on a dataset with masks. */
@Command(name = "train", description = {
    "Train the anomaly head on every test image of a dataset with its masks (the zero-shot protocol: train on"
        + " MVTec AD, evaluate on VisA, and the other way round). CLIP stays frozen; its stage tokens are computed once"
        + " per image and cached on disk, so later epochs cost only the head.",
    "Writes the head as safetensors plus a JSON description (configuration, classes, the CLIP it was trained on,"
        + " the F1-optimal threshold of its rough map on the training data, provenance); after every epoch a"
        + " resumable checkpoint <out>.resume.safetensors."})
final class TrainCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Option(names = "--clip", paramLabel = "CKPT", description = "CLIP checkpoint (default: ViT-L-14-336px.pt in"
            + " $CLIPSAM_HOME, else ~/.cache/clipsam; 'clipsam fetch clip' puts it there).")
    Path clipFile;

    @Mixin
    DatasetOptions dataset;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Head file (.safetensors).")
    Path out;

    @Option(names = "--epochs", defaultValue = "6", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch", defaultValue = "8", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", defaultValue = "1e-4", description = "AdamW learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--weight-decay", defaultValue = "0.01", description = "AdamW weight decay (default:"
            + " ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--hidden", defaultValue = "256", description = "UMCI hidden width c_h (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--scales", split = ",", defaultValue = "3,5", description = "Scale-path pooling kernels (default:"
            + " ${DEFAULT-VALUE}).")
    List<Integer> scales;

    @Option(names = "--stages", split = ",", defaultValue = "6,12,18,24", description = "CLIP blocks read, 1-based"
            + " (default: ${DEFAULT-VALUE}).")
    List<Integer> stages;

    @Option(names = "--stage-weights", split = ",", description = "Loss weight per stage (default: 0.1 each, 0.7 for"
            + " the last).")
    List<Double> stageWeights;

    @Option(names = "--image-size", defaultValue = "518", description = "Input size in pixels, a multiple of the"
            + " CLIP patch size (default: ${DEFAULT-VALUE}).")
    int imageSize;

    @Option(names = "--head", defaultValue = "umci", description = "umci, strip, scale or linear (default:"
            + " ${DEFAULT-VALUE}).")
    HeadType headType;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of initialisation and batch order (default:"
            + " ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--cache", paramLabel = "DIR", description = "Token cache (default: $CLIPSAM_HOME/tokens, else"
            + " ~/.cache/clipsam/tokens).")
    Path cacheDir;

    @Option(names = "--precision", defaultValue = "fp32", description = "CLIP precision when computing tokens.")
    Precision precision;

    @Option(names = "--activation", defaultValue = "quick_gelu", description = "CLIP MLP activation: quick_gelu"
            + " (right for OpenAI weights) or gelu (what APRIL-GAN runs).")
    Activation activation;

    @Option(names = "--resume", description = "Continue from <out>.resume.safetensors if it exists.")
    boolean resume;

    @Option(names = "--keep-resume", description = "Keep <out>.resume.safetensors after a successful run (it is"
            + " deleted by default).")
    boolean keepResume;

    @Option(names = "--overwrite", description = "Replace an existing head file.")
    boolean overwrite;

    @Override
    public Integer call() throws IOException {
        common.apply();
        if (Files.exists(out) && !overwrite) {
            throw new UserInputException(out + ": exists; use --overwrite to replace it");
        }
        List<Double> weights = checkOptions();
        OutputFolder.requireWritableParent(out);
        Dataset data = dataset.scan();
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
            throw new UserInputException(dataset.root + ": " + unmasked.size() + " anomalous images have no mask (first: "
                    + unmasked.get(0) + "); training needs every defect's mask");
        }
        if (items.isEmpty()) {
            throw new UserInputException(dataset.root + ": no training images");
        }
        List<String> maskProblems = data.problems().stream().filter(p -> p.contains(": mask ")
                || p.contains(": is not a mask")).toList();
        if (!maskProblems.isEmpty()) {
            throw new UserInputException(maskProblems.get(0) + (maskProblems.size() > 1 ? " (and "
                    + (maskProblems.size() - 1) + " more mask problems; see clipsam data check)" : "")
                    + "; training needs every mask right");
        }
        PrintWriter console = spec.commandLine().getOut();
        data.problems().forEach(p -> spec.commandLine().getErr().println("clipsam: warning: " + p));
        clipFile = ClipSam.existing(clipFile, OfficialCheckpoint.CLIP);
        String clipSha = Hashing.sha256(clipFile);
        Training training;
        HeadConfig config;
        HeadDescription.ClipIdentity clipIdentity;
        // CLIP is needed only to fill the token cache and for the text features: it is closed before training.
        try (ClipModel clip = ClipModel.load(clipFile, new ClipModel.Options(precision, activation))) {
            config = new HeadConfig(headType, clip.config().visionWidth(), clip.config().embedDim(), hidden, scales,
                    stages, weights);
            ClipStages clipStages;
            try {
                clipStages = new ClipStages(clip, imageSize, stages,
                        ClipSam.textCache(clipSha, precision, activation));
            } catch (IllegalArgumentException e) {
                throw new UserInputException(e.getMessage());
            }
            Path cacheRoot = cacheDir != null ? cacheDir : Locations.tokenCache();
            TokenCache cache = new TokenCache(cacheRoot, TokenCache.key(clipSha, imageSize, stages,
                    precision.name().toLowerCase(Locale.ROOT), activation.name().toLowerCase(Locale.ROOT)));
            Training.Settings settings = new Training.Settings(config, imageSize, epochs, batch,
                    new AdamW.Options(lr, 0.9, 0.999, 1e-8, weightDecay), seed);
            training = new Training(clipStages, cache, settings, items);
            console.printf("training a %s head (c_h %d, scales %s, stages %s) on %d images of %d classes from %s; CLIP %s"
                    + " at %d px; tokens cached in %s%n", headType.id(), hidden, scales, stages, items.size(),
                    data.classNames().size(), dataset.root, clip.config().name(), imageSize, cache.directory());
            console.flush();
            try (ProgressBar bar = Progress.bar("tokens", items.size())) {
                training.prepare(PromptEnsemble.winclip(), new Training.Listener() {
                    @Override
                    public void prepared(int done, int total) {
                        bar.stepTo(done);
                    }
                });
            }
            console.printf("tokens: %d computed, %d read from the cache%n", cache.misses(), cache.hits());
            clipIdentity = new HeadDescription.ClipIdentity(clipFile.getFileName().toString(), clipSha,
                    clip.config().name(), clip.config().visionWidth(), clip.config().embedDim(),
                    clip.config().visionPatchSize(), precision.name().toLowerCase(Locale.ROOT),
                    activation.name().toLowerCase(Locale.ROOT));
        }
        org.bytedeco.javacpp.Pointer.trimMemory();   // hand CLIP's freed memory back to the system
        Path checkpoint = resumeFile();
        Path resumeFrom = resume && Files.isRegularFile(checkpoint) ? checkpoint : null;
        try (AnomalyHead head = AnomalyHead.create(config, seed)) {
            int steps = (items.size() + batch - 1) / batch;
            try (ProgressBar bar = Progress.bar("train", (long) steps * epochs)) {
                training.run(head, checkpoint, resumeFrom, new Training.Listener() {
                    @Override
                    public void step(int epoch, int step, int totalSteps, double loss, double imagesPerSecond) {
                        bar.stepTo((long) (epoch - 1) * totalSteps + step);
                        bar.setExtraMessage(String.format(" epoch %d loss %.4f %.1f img/s", epoch, loss,
                                imagesPerSecond));
                    }

                    @Override
                    public void epoch(int epoch, double meanLoss) {
                        bar.setExtraMessage(String.format(" epoch %d mean loss %.4f", epoch, meanLoss));
                    }
                });
            }
            double threshold = training.f1Threshold(head);
            HeadFile.save(out, head, new HeadDescription(config, imageSize, clipIdentity, "winclip", data.classNames(),
                    threshold, provenance(items.size(), training)));
            console.printf("epoch losses %s%nF1-optimal threshold of the rough map on the training data: %.4f%n"
                    + "wrote %s and %s (%,d parameters)%n", training.epochLosses(), threshold, out,
                    HeadFile.sidecar(out), head.parameterCount());
            if (!keepResume && Files.deleteIfExists(checkpoint)) {
                console.printf("deleted the resume checkpoint %s (--keep-resume keeps it)%n", checkpoint);
            }
        }
        return 0;
    }

    /** Every option checked before any file is opened; the stage weights to use. */
    private List<Double> checkOptions() {
        positive("--epochs", epochs);
        positive("--batch", batch);
        positive("--hidden", hidden);
        positive("--image-size", imageSize);
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new UserInputException("--lr " + lr + " must be a positive number");
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new UserInputException("--weight-decay " + weightDecay + " must be a number of at least 0");
        }
        for (int stage : stages) {
            positive("--stages", stage);
        }
        for (int scale : scales) {
            positive("--scales", scale);
        }
        List<Double> weights = stageWeights != null ? stageWeights : defaultWeights(stages.size());
        if (weights.size() != stages.size()) {
            throw new UserInputException("--stage-weights needs one weight per stage (" + stages.size() + ")");
        }
        if (weights.stream().anyMatch(w -> !(w >= 0) || w.isInfinite())) {
            throw new UserInputException("--stage-weights " + weights + " must be numbers of at least 0");
        }
        if (scales.size() != 2) {
            throw new UserInputException("--scales takes two pooling sizes (the scale path's s1,s2), not " + scales);
        }
        return weights;
    }

    private static void positive(String option, int value) {
        if (value < 1) {
            throw new UserInputException(option + " " + value + " must be at least 1");
        }
    }

    Path resumeFile() {
        String name = out.getFileName().toString();
        String stem = name.endsWith(".safetensors") ? name.substring(0, name.length() - ".safetensors".length()) : name;
        return out.resolveSibling(stem + ".resume.safetensors");
    }

    private ObjectNode provenance(int images, Training training) {
        ObjectNode t = new ObjectMapper().createObjectNode();
        t.put("dataset", dataset.root.toAbsolutePath().toString());
        t.put("format", dataset.format.id());
        t.put("images", images);
        t.put("epochs", epochs);
        t.put("batch", batch);
        t.put("lr", lr);
        t.put("weight_decay", weightDecay);
        t.put("seed", seed);
        training.epochLosses().forEach(t.putArray("epoch_losses")::add);
        t.put("finished", Instant.now().toString());
        String version = ClipSamCommand.class.getPackage().getImplementationVersion();
        t.put("clipsam", version == null ? "development build" : version);
        return t;
    }

    private static List<Double> defaultWeights(int n) {
        List<Double> w = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            w.add(i == n - 1 ? 0.7 : 0.1);
        }
        return w;
    }
}

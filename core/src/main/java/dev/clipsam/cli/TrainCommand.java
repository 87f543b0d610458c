package dev.clipsam.cli;

import dev.clipsam.data.Dataset;
import dev.clipsam.engine.HeadTraining;
import dev.clipsam.nn.Activation;
import dev.clipsam.nn.Precision;
import dev.clipsam.umci.AdamW;
import dev.clipsam.umci.HeadType;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
        HeadTraining.items(data);   // a dataset that cannot be trained on is refused before CLIP is read
        PrintWriter console = spec.commandLine().getOut();
        data.problems().forEach(p -> spec.commandLine().getErr().println("clipsam: warning: " + p));
        HeadTraining.Request request = new HeadTraining.Request(data, out, clipFile, headType, hidden, scales, stages,
                weights, imageSize, epochs, batch, lr, weightDecay, seed, cacheDir, precision, activation, resume,
                keepResume);
        ProgressBar[] bar = new ProgressBar[1];
        HeadTraining.Result result;
        try {
            result = HeadTraining.run(request, new HeadTraining.Listener() {
                @Override
                public void started(String description) {
                    console.println(description);
                    console.flush();
                }

                @Override
                public void prepared(int done, int total) {
                    progress("tokens", total).stepTo(done);
                }

                @Override
                public void tokensReady(int computed, int fromCache) {
                    closeBar();
                    console.printf("tokens: %d computed, %d read from the cache%n", computed, fromCache);
                }

                @Override
                public void step(int epoch, int step, int steps, double loss, double imagesPerSecond) {
                    ProgressBar b = progress("train", (long) steps * epochs);
                    b.stepTo((long) (epoch - 1) * steps + step);
                    b.setExtraMessage(String.format(" epoch %d loss %.4f %.1f img/s", epoch, loss, imagesPerSecond));
                }

                @Override
                public void epoch(int epoch, double meanLoss) {
                    bar[0].setExtraMessage(String.format(" epoch %d mean loss %.4f", epoch, meanLoss));
                }

                private ProgressBar progress(String task, long max) {
                    if (bar[0] == null) {
                        bar[0] = Progress.bar(task, max);
                    }
                    return bar[0];
                }

                private void closeBar() {
                    if (bar[0] != null) {
                        bar[0].close();
                        bar[0] = null;
                    }
                }
            });
        } finally {
            if (bar[0] != null) {
                bar[0].close();
            }
        }
        console.printf("epoch losses %s%nF1-optimal threshold of the rough map on the training data: %.4f%n"
                + "wrote %s and %s (%,d parameters)%n", result.epochLosses(), result.threshold(), result.head(),
                result.sidecar(), result.parameters());
        if (result.resumeDeleted()) {
            console.printf("deleted the resume checkpoint %s (--keep-resume keeps it)%n", result.resumeFile());
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
        return HeadTraining.resumeFile(out);
    }

    private static List<Double> defaultWeights(int n) {
        List<Double> w = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            w.add(i == n - 1 ? 0.7 : 0.1);
        }
        return w;
    }
}

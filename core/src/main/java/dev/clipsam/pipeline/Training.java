package dev.clipsam.pipeline;

import dev.clipsam.clip.PromptEnsemble;
import dev.clipsam.data.MaskFiles;
import dev.clipsam.eval.BinaryMetrics;
import dev.clipsam.eval.PixelScores;
import dev.clipsam.image.ImageFiles;
import dev.clipsam.io.Checkpoint;
import dev.clipsam.io.SafeTensorsWriter;
import dev.clipsam.nn.Tensors;
import dev.clipsam.umci.AdamW;
import dev.clipsam.umci.AnomalyHead;
import dev.clipsam.umci.HeadConfig;
import dev.clipsam.umci.HeadOutput;
import dev.clipsam.umci.SegmentationLoss;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Trains the anomaly head (docs/DESIGN.md §4): CLIP frozen, its stage tokens cached per image; AdamW on focal + dice, stage
 * weights 0.1/0.1/0.1/0.7; batches drawn in a seeded order, so the same seed and data give bit-identical weights on
 * the same machine. A checkpoint with the optimiser state is written after every epoch and can be resumed.
 */
public final class Training {

    /** One training image. */
    public record Item(Path image, String className, Path mask) {
    }

    /** Hyper-parameters. */
    public record Settings(HeadConfig head, int imageSize, int epochs, int batch, AdamW.Options optimizer, long seed) {
    }

    /** Progress callbacks. */
    public interface Listener {
        /** A training image's tokens are ready (computed or read from the cache). */
        default void prepared(int done, int total) {
        }

        /** An optimisation step finished. */
        default void step(int epoch, int step, int steps, double loss, double imagesPerSecond) {
        }

        /** An epoch finished; its checkpoint (if any) is written. */
        default void epoch(int epoch, double meanLoss) {
        }
    }

    private final ClipStages clip;
    private final TokenCache cache;
    private final Settings settings;
    private final List<Item> items;
    private final Map<String, float[]> textByClass = new HashMap<>();
    private final List<BitSet> masks = new ArrayList<>();
    private final List<Path> tokenFiles = new ArrayList<>();
    private final List<Double> epochLosses = new ArrayList<>();

    public Training(ClipStages clip, TokenCache cache, Settings settings, List<Item> items) {
        if (items.isEmpty()) {
            throw new IllegalArgumentException("no training images");
        }
        this.clip = clip;
        this.cache = cache;
        this.settings = settings;
        this.items = List.copyOf(items);
    }

    public List<Double> epochLosses() {
        return List.copyOf(epochLosses);
    }

    /** Text features of every class, ground truths on the working grid, and every image's tokens in the cache. */
    public void prepare(PromptEnsemble prompts, Listener listener) {
        int s = settings.imageSize();
        for (Item item : items) {
            textByClass.computeIfAbsent(item.className(), c -> clip.textFeatures(prompts, c));
        }
        for (int i = 0; i < items.size(); i++) {
            Item item = items.get(i);
            boolean[] grid = MaskFiles.onGrid(item.mask(), s, s);
            BitSet bits = new BitSet(grid.length);
            for (int k = 0; k < grid.length; k++) {
                if (grid[k]) {
                    bits.set(k);
                }
            }
            masks.add(bits);
            tokenFiles.add(cache.ensure(item.image(), () -> clip.tokens(ImageFiles.read(item.image()))));
            listener.prepared(i + 1, items.size());
        }
    }

    /**
     * Trains from scratch or from a resume checkpoint.
     *
     * @param head       a fresh head, or the head to continue
     * @param checkpoint written after every epoch (weights + optimiser state), null for none
     * @param resume     a checkpoint to continue from, null to start at epoch 1
     */
    public void run(AnomalyHead head, Path checkpoint, Path resume, Listener listener) throws IOException {
        try (AdamW adam = new AdamW(head.parameters(), settings.optimizer())) {
            int firstEpoch = 1;
            if (resume != null) {
                firstEpoch = restore(resume, head, adam) + 1;
            }
            int n = items.size();
            int b = settings.batch();
            int steps = (n + b - 1) / b;
            for (int epoch = firstEpoch; epoch <= settings.epochs(); epoch++) {
                int[] order = shuffled(n, settings.seed() * 1_000_003L + epoch);
                double sum = 0;
                for (int step = 0; step < steps; step++) {
                    long t0 = System.nanoTime();
                    int from = step * b;
                    int to = Math.min(n, from + b);
                    double loss;
                    try (PointerScope scope = new PointerScope()) {
                        Batch batch = batch(order, from, to);
                        adam.zeroGrad();
                        HeadOutput out = head.forward(batch.tokens, batch.text, settings.imageSize());
                        Tensor total = SegmentationLoss.compute(out.probs(), batch.gt, head.config().stageWeights())
                                .total();
                        total.backward();
                        adam.step();
                        loss = total.item_double();
                    }
                    sum += loss * (to - from);
                    listener.step(epoch, step + 1, steps, loss, (to - from) / ((System.nanoTime() - t0) / 1e9));
                }
                epochLosses.add(sum / n);
                if (checkpoint != null) {
                    save(checkpoint, head, adam, epoch);
                }
                listener.epoch(epoch, sum / n);
            }
        }
    }

    /**
     * The pixel threshold that maximises F1 of the rough map over the training images, from at most 50 million
     * pixels (a regular subsample of rows and columns on large sets).
     */
    public double f1Threshold(AnomalyHead head) {
        long pixels = (long) items.size() * settings.imageSize() * settings.imageSize();
        int stride = (int) Math.max(1, Math.ceil(Math.sqrt(pixels / 50e6)));
        return BinaryMetrics.of(roughMapScores(head, stride).rank()).f1Threshold();
    }

    /** The head's rough maps of these images against their masks, ready for the metrics. */
    public PixelScores roughMapScores(AnomalyHead head) {
        return roughMapScores(head, 1);
    }

    /** Every {@code stride}-th row and column of the rough maps. */
    private PixelScores roughMapScores(AnomalyHead head, int stride) {
        int s = settings.imageSize();
        int kept = (s + stride - 1) / stride;
        PixelScores scores = new PixelScores((long) items.size() * kept * kept);
        for (int i = 0; i < items.size(); i++) {
            try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
                Batch one = batch(new int[] {i}, 0, 1);
                float[] rough = Tensors.toFloats(head.forward(one.tokens, one.text, s).rough());
                BitSet mask = masks.get(i);
                float[] map = new float[kept * kept];
                boolean[] gt = new boolean[kept * kept];
                for (int y = 0; y < kept; y++) {
                    for (int x = 0; x < kept; x++) {
                        map[y * kept + x] = rough[y * stride * s + x * stride];
                        gt[y * kept + x] = mask.get(y * stride * s + x * stride);
                    }
                }
                scores.add(map, gt, kept, kept);
            }
        }
        return scores;
    }

    private record Batch(List<Tensor> tokens, Tensor text, Tensor gt) {
    }

    private Batch batch(int[] order, int from, int to) {
        int s = settings.imageSize();
        List<List<Tensor>> perImage = new ArrayList<>();
        float[] text = new float[0];
        float[] gt = new float[(to - from) * s * s];
        for (int k = from; k < to; k++) {
            Item item = items.get(order[k]);
            perImage.add(TokenCache.read(tokenFiles.get(order[k])));
            float[] t = textByClass.get(item.className());
            float[] grown = java.util.Arrays.copyOf(text, text.length + t.length);
            System.arraycopy(t, 0, grown, text.length, t.length);
            text = grown;
            int base = (k - from) * s * s;
            masks.get(order[k]).stream().forEach(i -> gt[base + i] = 1f);
        }
        List<Tensor> tokens = new ArrayList<>();
        for (int stage = 0; stage < perImage.get(0).size(); stage++) {
            TensorVector list = new TensorVector();
            for (List<Tensor> image : perImage) {
                list.push_back(image.get(stage));
            }
            tokens.add(torch.stack(list, 0));
        }
        int ct = text.length / (2 * (to - from));
        return new Batch(tokens, Tensors.fromFloats(text, to - from, 2, ct), Tensors.fromFloats(gt, to - from, s, s));
    }

    private static int[] shuffled(int n, long seed) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private void save(Path file, AnomalyHead head, AdamW adam, int epoch) throws IOException {
        Map<String, Tensor> all = new LinkedHashMap<>();
        head.parameters().forEach((k, v) -> all.put("param." + k, v.detach()));
        adam.state().forEach(all::put);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("epoch", Integer.toString(epoch));
        meta.put("adam_steps", Long.toString(adam.stepCount()));
        meta.put("seed", Long.toString(settings.seed()));
        meta.put("epoch_losses", epochLosses.toString());
        meta.put("head", dev.clipsam.umci.HeadFile.toJson(head.config()).toString());
        Files.createDirectories(file.toAbsolutePath().getParent());
        SafeTensorsWriter.write(file, all, meta);
    }

    private int restore(Path file, AnomalyHead head, AdamW adam) {
        try (Checkpoint ckpt = Checkpoint.open(file); PointerScope scope = new PointerScope();
                NoGradGuard guard = new NoGradGuard()) {
            Map<String, String> meta = ckpt.metadata();
            if (!dev.clipsam.umci.HeadFile.toJson(head.config()).toString().equals(meta.get("head"))) {
                throw new dev.clipsam.io.CheckpointException(file, "was written for another head configuration: "
                        + meta.get("head"));
            }
            if (!Long.toString(settings.seed()).equals(meta.get("seed"))) {
                throw new dev.clipsam.io.CheckpointException(file, "was written with seed " + meta.get("seed"));
            }
            head.parameters().forEach((k, v) -> v.copy_(ckpt.load("param." + k, ScalarType.Float)));
            Map<String, Tensor> state = new HashMap<>();
            for (String k : head.parameters().keySet()) {
                state.put("m." + k, ckpt.load("m." + k, ScalarType.Float));
                state.put("v." + k, ckpt.load("v." + k, ScalarType.Float));
            }
            adam.restore(state, Long.parseLong(meta.get("adam_steps")));
            String losses = meta.getOrDefault("epoch_losses", "[]").replaceAll("[\\[\\] ]", "");
            if (!losses.isEmpty()) {
                for (String l : losses.split(",")) {
                    epochLosses.add(Double.parseDouble(l));
                }
            }
            return Integer.parseInt(meta.get("epoch"));
        }
    }
}

package dev.clipsam.cli;

import dev.clipsam.clip.ClipConfig;
import dev.clipsam.clip.ClipModel;
import dev.clipsam.clip.PromptEnsemble;
import dev.clipsam.engine.ClipSam;
import dev.clipsam.engine.Prediction;
import dev.clipsam.engine.Timings;
import dev.clipsam.image.Image8;
import dev.clipsam.mmr.MmrConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clipsam.nn.Activation;
import dev.clipsam.nn.KernelTuning;
import dev.clipsam.nn.Precision;
import dev.clipsam.nn.TorchRuntime;
import dev.clipsam.pipeline.ClipStages;
import dev.clipsam.sam.SamModel;
import dev.clipsam.sam.SamPredictor;
import dev.clipsam.umci.AnomalyHead;
import dev.clipsam.umci.HeadConfig;
import dev.clipsam.umci.HeadType;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code clipsam bench predict}: where the time of one ClipSAM prediction goes. */
@Command(name = "predict", description = {
    "Time one ClipSAM prediction part by part (CLIP stage, head, SAM image encoder, SAM decoding with fusion, total)"
        + " with the paper's shapes and random weights: CLIP ViT-L/14@336 run at 518 px, the UMCI head (c_h 256,"
        + " 4 stages) and SAM ViT-H, on a synthetic image.",
    "Two cases: a normal image (the rough map stays below the MMR threshold, so SAM is skipped) and an anomalous one"
        + " (a rough map with --regions defect regions, each refined by SAM). Reports peak RSS."})
final class BenchPredictCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Option(names = "--image-px", defaultValue = "1024", paramLabel = "PX", description = "Side of the square test"
            + " image in pixels (MVTec AD images are 700 to 1024; default: ${DEFAULT-VALUE}).")
    int imagePx;

    @Option(names = "--image-size", defaultValue = "518", description = "CLIP input size (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--sam-model", defaultValue = "vit_h", paramLabel = "M", description = "vit_b, vit_l or vit_h"
            + " (default: ${DEFAULT-VALUE}).")
    BenchSamCommand.Variant sam;

    @Option(names = "--precision", defaultValue = "fp32", description = "CLIP and SAM towers: fp32, bf16 or int8"
            + " (default: ${DEFAULT-VALUE}).")
    Precision precision;

    @Option(names = "--regions", defaultValue = "2", description = "Defect regions of the anomalous case (default:"
            + " ${DEFAULT-VALUE}).")
    int regions;

    @Option(names = "--runs", defaultValue = "2", description = "Timed runs per case (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "1", description = "Untimed runs first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--json", description = "Print one JSON line instead of the table: precision, threads, cpu, normal"
            + " and anomalous seconds per stage, peak_rss_gb and the kernel choices.")
    boolean json;

    @Override
    public Integer call() {
        common.apply();
        if (runs < 1 || warmup < 0 || regions < 1 || regions > 9) {
            throw new UserInputException("--runs at least 1, --warmup at least 0, --regions 1 to 9");
        }
        PrintWriter shown = spec.commandLine().getOut();
        PrintWriter out = json ? new PrintWriter(java.io.Writer.nullWriter()) : shown;
        ObjectNode doc = new ObjectMapper().createObjectNode();
        doc.put("precision", precision.name().toLowerCase(Locale.ROOT));
        doc.put("threads", TorchRuntime.threads());
        doc.put("cpu", KernelTuning.machine());
        TorchRuntime.resetPeakRss();
        HeadConfig headConfig = HeadConfig.paper(HeadType.UMCI);
        Image8 image = texture(imagePx);
        try (PaperModels models = PaperModels.random(precision, sam.config, size)) {
            ClipModel clip = models.clip();
            SamModel samModel = models.sam();
            ClipSam pipeline = models.engine();
            int s = pipeline.grid();
            out.printf(Locale.ROOT, "ClipSAM predict: CLIP %s at %d px, UMCI head (c_h %d, stages %s), SAM %s; %dx%d"
                    + " image; %s; %d threads; mean of %d runs after %d warm-up%n", clip.config().name(), size,
                    headConfig.hidden(), headConfig.stages(), samModel.config().name(), imagePx, imagePx,
                    precision.name().toLowerCase(Locale.ROOT), TorchRuntime.threads(), runs, warmup);
            out.printf("%-10s %8s %8s %12s %12s %9s %8s%n", "image", "CLIP s", "head s", "SAM enc s", "SAM dec s",
                    "total s", "regions");
            out.flush();
            float[] normal = new float[s * s];
            Arrays.fill(normal, 0.1f);
            float[] anomalous = regionsMap(s, regions);
            for (String name : new String[] {"normal", "anomalous"}) {
                float[] map = name.equals("normal") ? normal : anomalous;
                double[] sum = new double[5];
                int found = 0;
                for (int run = 0; run < warmup + runs; run++) {
                    ClipSam.RoughMap rough = pipeline.roughMap(image, "object");
                    Prediction p = pipeline.refine(image, new ClipSam.RoughMap(s, map, rough.clipSeconds(),
                            rough.headSeconds()));
                    if (run >= warmup) {
                        Timings t = p.timings();
                        double[] parts = {t.clip(), t.head(), t.samEncoder(), t.samDecoder(), t.total()};
                        for (int k = 0; k < 5; k++) {
                            sum[k] += parts[k] / runs;
                        }
                    }
                    found = p.regions();
                }
                out.printf(Locale.ROOT, "%-10s %8.2f %8.2f %12.2f %12.2f %9.2f %8d%n", name, sum[0], sum[1], sum[2],
                        sum[3], sum[4], found);
                ObjectNode c = doc.putObject(name);
                String[] keys = {"clip_s", "head_s", "sam_encoder_s", "sam_decoder_s", "total_s"};
                for (int k = 0; k < 5; k++) {
                    c.put(keys[k], Math.round(sum[k] * 1000) / 1000.0);
                }
                c.put("regions", found);
                out.flush();
            }
        }
        out.printf("peak RSS %s%n", InspectCommand.humanBytes(TorchRuntime.peakRssBytes()));
        printChoices(out);
        out.flush();
        doc.put("peak_rss_gb", Math.round(TorchRuntime.peakRssBytes() / 1e7) / 100.0);
        ObjectNode choices = doc.putObject("choices");
        KernelTuning.choices().forEach((k, v) -> choices.put(k, v.variant()));
        if (json) {
            shown.println(doc.toString());
            shown.flush();
        }
        return 0;
    }

    /** The kernel routes chosen on this machine, with the seconds each route took when they were measured. */
    static void printChoices(PrintWriter out) {
        if (KernelTuning.choices().isEmpty()) {
            return;
        }
        out.println("kernel choices (measured on this machine, " + KernelTuning.machine() + "):");
        new java.util.TreeMap<>(KernelTuning.choices()).forEach((key, c) -> {
            StringBuilder times = new StringBuilder();
            c.seconds().forEach((route, t) -> times.append(String.format(Locale.ROOT, " %s %.4f s", route, t)));
            out.printf("  %s -> %s (%s)%s%n", key, c.variant(), times.toString().trim(),
                    c.note().isEmpty() ? "" : "; " + c.note());
        });
    }

    /** A grey, noisy texture (content does not change the timings). */
    static Image8 texture(int px) {
        SplittableRandom random = new SplittableRandom(3);
        byte[] data = new byte[px * px * 3];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (110 + random.nextInt(40));
        }
        return new Image8(px, px, 3, data);
    }

    /** A rough map with {@code n} square regions of 0.9 (side S/8) on 0.1, spread over a 3 x 3 layout. */
    private static float[] regionsMap(int s, int n) {
        float[] map = new float[s * s];
        Arrays.fill(map, 0.1f);
        int side = s / 8;
        for (int r = 0; r < n; r++) {
            int top = (r / 3) * s / 3 + s / 12;
            int left = (r % 3) * s / 3 + s / 12;
            for (int y = top; y < top + side; y++) {
                Arrays.fill(map, y * s + left, y * s + left + side, 0.9f);
            }
        }
        return map;
    }

    /**
     * The paper's models with random weights (CLIP ViT-L/14@336, the UMCI head, a SAM) as one engine, for the
     * benchmarks; closed together.
     */
    record PaperModels(ClipModel clip, AnomalyHead head, SamModel sam, SamPredictor predictor, ClipSam engine)
            implements AutoCloseable {

        static PaperModels random(Precision precision, dev.clipsam.sam.SamConfig samConfig, int clipSize) {
            HeadConfig headConfig = HeadConfig.paper(HeadType.UMCI);
            ClipModel clip = ClipModel.random(ClipConfig.VIT_L_14_336, new ClipModel.Options(precision,
                    Activation.QUICK_GELU), 1);
            AnomalyHead head = AnomalyHead.create(headConfig, 1);
            SamModel sam = SamModel.random(samConfig, precision, 1);
            SamPredictor predictor = new SamPredictor(sam);
            ClipStages stages;
            try {
                stages = new ClipStages(clip, clipSize, headConfig.stages());
            } catch (IllegalArgumentException e) {
                predictor.close();
                sam.close();
                head.close();
                clip.close();
                throw new UserInputException(e.getMessage());
            }
            return new PaperModels(clip, head, sam, predictor, new ClipSam(stages, head, PromptEnsemble.winclip(),
                    predictor, MmrConfig.DEFAULT, 0.5));
        }

        @Override
        public void close() {
            predictor.close();
            sam.close();
            head.close();
            clip.close();
        }
    }
}

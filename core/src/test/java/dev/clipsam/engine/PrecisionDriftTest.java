package dev.clipsam.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipsam.data.DatasetFormat;
import dev.clipsam.data.SyntheticDataset;
import dev.clipsam.image.Image8;
import dev.clipsam.image.ImageFiles;
import dev.clipsam.nn.Activation;
import dev.clipsam.nn.Precision;
import dev.clipsam.testing.Close;
import dev.clipsam.testing.TinyModels;
import dev.clipsam.umci.HeadType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What a user sees of a speed precision: the maps, the image score and the defect mask of the whole pipeline
 * (a UMCI head or few-shot references, then MMR with SAM) on synthetic parts, against fp32 on the same images.
 * Printed and bounded, so that a precision that drifts far (or silently runs fp32) fails. The final map is printed but not bounded by
 * itself: where SAM refines a region, a mask edge that moves by a pixel changes it more than the towers' drift.
 */
class PrecisionDriftTest {

    @TempDir
    static Path dir;

    private static Path good;
    private static Path head;
    private static List<Image8> images;
    private static String cls;

    /** Synthetic parts, and a UMCI head trained for one epoch on them in fp32. */
    @BeforeAll
    static void data() throws IOException {
        SyntheticDataset.write(dir.resolve("data"), new SyntheticDataset.Spec(1, 3, 3, 128, 7));
        List<Path> files;
        try (Stream<Path> all = Files.walk(dir.resolve("data"))) {
            files = all.filter(Files::isRegularFile).filter(ImageFiles::hasImageExtension)
                    .filter(p -> !p.toString().contains("ground_truth")).sorted().toList();
        }
        good = files.stream().filter(p -> p.toString().contains("/good/")).findFirst().orElseThrow().getParent();
        images = new ArrayList<>();
        for (Path p : files) {
            if (!p.toString().contains("/good/")) {
                images.add(ImageFiles.read(p));
            }
        }
        cls = SyntheticDataset.classNames(1).get(0);
        head = dir.resolve("head.safetensors");
        HeadTraining.run(new HeadTraining.Request(DatasetFormat.FOLDER.scan(dir.resolve("data")), head,
                TinyModels.clipTorchScript(), HeadType.UMCI, 8, List.of(3, 5), stages(),
                stages().stream().map(s -> 1.0 / stages().size()).toList(),
                TinyModels.clipImageSize(), 1, 2, 1e-3, 0.01, 0, dir.resolve("cache"), Precision.FP32,
                Activation.QUICK_GELU, false, false), new HeadTraining.Listener() {
                });
    }

    /** The head's map (UMCI, then MMR with SAM): bf16 and int8. */
    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"BF16", "INT8"})
    void headMapScoreAndMaskStayCloseToFp32(Precision precision) throws IOException {
        compare(precision, "head", EngineOptions.builder().head(head));
    }

    /** The few-shot map (references, then MMR with SAM): bf16 and int8. */
    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"BF16", "INT8"})
    void fewShotMapScoreAndMaskStayCloseToFp32(Precision precision) throws IOException {
        compare(precision, "few-shot", EngineOptions.builder().refs(List.of(good)));
    }

    private void compare(Precision precision, String mode, EngineOptions.Builder options) throws IOException {
        Drift d = drift(precision, mode, options);
        String name = precision.name().toLowerCase(Locale.ROOT);
        assertTrue(d.rough() > 1e-6, name + " must really differ from fp32");
        assertTrue(d.rough() < 3e-2, name + ": rough map relative L2 " + d.rough());
        assertTrue(d.score() < 2e-2, name + ": score changed by " + d.score());
        assertTrue(d.iou() > 0.9, name + ": defect mask IoU with fp32's " + d.iou());
    }

    /** The worst of each measure over the images. */
    private record Drift(double rough, double score, double iou) {
    }

    private static Drift drift(Precision precision, String mode, EngineOptions.Builder options) throws IOException {
        List<Prediction> reference = predict(options.precision(Precision.FP32));
        List<Prediction> other = predict(options.precision(precision));
        String name = precision.name().toLowerCase(Locale.ROOT);
        double worstRough = 0;
        double worstScore = 0;
        double worstIou = 1;
        for (int i = 0; i < images.size(); i++) {
            Prediction a = reference.get(i);
            Prediction b = other.get(i);
            double rough = Close.relativeL2(a.rough(), b.rough());
            double score = Math.abs(a.score() - b.score());
            double iou = iou(a.atImageSize().mask(), b.atImageSize().mask());
            System.out.printf(Locale.ROOT, "%s vs fp32, tiny models, %s, synthetic image %d: rough map relative L2"
                    + " %.2e, final map %.2e, score %.4f vs %.4f, mask IoU %.3f, SAM regions %d vs %d%n", name, mode,
                    i, rough, Close.relativeL2(a.finalMap(), b.finalMap()), b.score(), a.score(), iou, b.regions(),
                    a.regions());
            worstRough = Math.max(worstRough, rough);
            worstScore = Math.max(worstScore, score);
            worstIou = Math.min(worstIou, iou);
        }
        return new Drift(worstRough, worstScore, worstIou);
    }

    /** Intersection over union of two masks; two empty masks agree (1). */
    private static double iou(boolean[] a, boolean[] b) {
        int both = 0;
        int either = 0;
        for (int i = 0; i < a.length; i++) {
            both += a[i] && b[i] ? 1 : 0;
            either += a[i] || b[i] ? 1 : 0;
        }
        return either == 0 ? 1 : (double) both / either;
    }

    private static List<Prediction> predict(EngineOptions.Builder options) throws IOException {
        List<Prediction> out = new ArrayList<>();
        try (ClipSam engine = ClipSam.open(options.clip(TinyModels.clipTorchScript()).sam(TinyModels.samCheckpoint())
                .imageSize(TinyModels.clipImageSize()).stages(stages()).build())) {
            for (Image8 image : images) {
                out.add(engine.predict(image, cls));
            }
        }
        return out;
    }

    private static List<Integer> stages() {
        return Arrays.stream(TinyModels.clipStages().split(",")).map(Integer::valueOf).toList();
    }
}

package dev.clipsam.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clipsam.data.Dataset;
import dev.clipsam.data.MaskFiles;
import dev.clipsam.data.Sample;
import dev.clipsam.eval.ClassMetrics;
import dev.clipsam.eval.CurvePlots;
import dev.clipsam.eval.EvaluationReport;
import dev.clipsam.eval.MapFiles;
import dev.clipsam.eval.PixelScores;
import dev.clipsam.image.ImageFiles;
import dev.clipsam.image.ImageReadException;
import dev.clipsam.io.AtomicFiles;
import dev.clipsam.io.Npy;
import dev.clipsam.mmr.ImageScore;
import dev.clipsam.pipeline.ClipSam;
import dev.clipsam.umci.HeadType;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code clipsam eval}: the paper's evaluation of a trained head (with SAM) on a dataset. */
@Command(name = "eval", description = {
    "Evaluate ClipSAM on a dataset with ground-truth masks, as in the paper's tables: per class and averaged, pixel"
        + " AUROC, F1-max, AP and PRO (AUPRO@0.3), and image AUROC / AP / F1-max from the image score (the final"
        + " map's maximum). Each class's name is used in the text prompts.",
    "Writes to --out: the report (metrics.csv, metrics.json, metrics.md, roc.png, pr.png, pro.png), every final"
        + " map as maps/<class>/<defect>/<image>.npy (float32 on the model's grid; 'clipsam metrics' recomputes the"
        + " report from them) and image_scores.csv. --resume continues an interrupted run from the maps already"
        + " written."})
final class EvalCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String SETTINGS = "eval-settings.json";

    /** The rows of the paper's Table 2. */
    enum Ablation {
        FULL(HeadType.UMCI, true), NO_MMR(HeadType.UMCI, false), STRIP(HeadType.STRIP, true),
        SCALE(HeadType.SCALE, true), LINEAR(HeadType.LINEAR, true);

        final HeadType head;
        final boolean sam;

        Ablation(HeadType head, boolean sam) {
            this.head = head;
            this.sam = sam;
        }

        String id() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    @Mixin
    CommonOptions common;

    @Mixin
    ModelOptions models;

    @Mixin
    MmrOptions mmr;

    @Spec
    CommandSpec spec;

    @Mixin
    DatasetOptions dataset;

    @Option(names = "--ablation", paramLabel = "A", converter = AblationConverter.class, description = "A row of the"
            + " paper's Table 2: full (UMCI head + MMR), no-mmr (UMCI head, no SAM), strip, scale, linear (a head"
            + " trained with --head strip/scale/linear, with MMR). Checks that the head is of that kind.")
    Ablation ablation;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--title", paramLabel = "TEXT", description = "Report title (default: names the data and head).")
    String title;

    @Option(names = "--no-maps", description = "Do not keep the maps (saves about 1 MB per image at 518 px; --resume"
            + " then has nothing to continue from).")
    boolean noMaps;

    @Option(names = "--resume", description = "Continue a run in --out: images whose map exists are not predicted"
            + " again.")
    boolean resume;

    @Option(names = "--overwrite", description = "Write into an output folder that is not empty.")
    boolean overwrite;

    @Override
    public Integer call() throws IOException {
        common.apply();
        boolean useSam = ablation != null ? ablation.sam : !mmr.noSam;
        if (ablation != null && ablation.sam && mmr.noSam) {
            throw new UserInputException("--ablation " + ablation.id() + " runs SAM; drop --no-sam");
        }
        if (resume && noMaps) {
            throw new UserInputException("--resume continues from the maps of an earlier run; drop --no-maps");
        }
        Dataset data = dataset.scan();
        if (data.all().isEmpty()) {
            throw new UserInputException(dataset.root + ": no images to evaluate");
        }
        if (!overwrite && !resume) {
            OutputFolder.requireEmpty(out, "use --overwrite to replace its report, or --resume to continue the run in"
                    + " it");
        }
        PrintWriter console = spec.commandLine().getOut();
        List<String> problems = new ArrayList<>(data.problems());
        List<ClassMetrics> results = new ArrayList<>();
        StringWriter scoreCsv = new StringWriter();
        Map<String, String> provenance = new LinkedHashMap<>();
        try (ModelOptions.Models loaded = models.load(useSam);
                CSVPrinter scores = new CSVPrinter(scoreCsv, CSVFormat.DEFAULT.builder().setHeader("map", "score",
                        "score_top100_mean", "class", "defect", "image").get())) {
            HeadType type = loaded.head.config().type();
            if (ablation != null && type != ablation.head) {
                throw new UserInputException("--ablation " + ablation.id() + " needs a " + ablation.head.id()
                        + " head (clipsam train --head " + ablation.head.id() + "); " + models.head + " is a "
                        + type.id() + " head");
            }
            ClipSam pipeline = loaded.pipeline(mmr.config());
            int s = pipeline.grid();
            provenance.put("data", dataset.root.toAbsolutePath() + " (" + dataset.format.id() + ")");
            provenance.put("head", models.head.toAbsolutePath() + " (" + type.id() + ")");
            provenance.put("clip", models.clipFile().toAbsolutePath() + " (" + loaded.clip.config().name() + ", "
                    + models.precision.name().toLowerCase(Locale.ROOT) + ")");
            provenance.put("MMR", useSam ? "SAM " + models.samFile().toAbsolutePath() + ", thr " + mmr.threshold
                    + ", min area " + mmr.config().minArea(s) + ", " + mmr.points + " points " + mmr.mode.id()
                    + ", seed " + mmr.seed : "off (rough map)");
            provenance.put("grid", s + " x " + s);
            provenance.put("image score", "maximum of the final map");
            if (ablation != null) {
                provenance.put("ablation", ablation.id());
            }
            recordSettings(provenance);
            console.printf("evaluating %d images of %d classes from %s%n", data.all().size(), data.classNames().size(),
                    dataset.root);
            console.flush();
            int reused = 0;
            try (ProgressBar bar = Progress.bar("eval", data.all().size())) {
                for (String cls : data.classNames()) {
                    bar.setExtraMessage(" " + cls);
                    List<Sample> samples = data.samples(cls);
                    PixelScores pixels = new PixelScores((long) samples.size() * s * s);
                    List<Float> imageScores = new ArrayList<>();
                    for (Sample sample : samples) {
                        if (sample.anomalous() && sample.mask() == null) {
                            bar.step();
                            continue;   // listed among the dataset's problems; without a mask it cannot be scored
                        }
                        try {
                            String mapName = mapKey(sample) + ".npy";
                            Path mapFile = out.resolve("maps").resolve(mapName);
                            float[] map;
                            double score;
                            double topMean;
                            if (resume && Files.isRegularFile(mapFile)) {
                                map = readMap(mapFile, s);
                                score = ImageScore.max(map);
                                topMean = ImageScore.topMean(map, ImageScore.DEFAULT_TOP_K);
                                reused++;
                            } else {
                                ClipSam.Prediction p = pipeline.predict(ImageFiles.read(sample.image()), cls);
                                map = p.finalMap();
                                score = p.score();
                                topMean = p.topMean();
                                if (!noMaps) {
                                    AtomicFiles.write(mapFile, tmp -> Npy.write(tmp, p.finalMap(), s, s));
                                }
                            }
                            pixels.add(map, MaskFiles.onGrid(sample.mask(), s, s), s, s);
                            imageScores.add((float) score);
                            scores.printRecord(mapName, Float.toString((float) score), Double.toString(topMean), cls,
                                    sample.defectType(), sample.image().toString());
                        } catch (ImageReadException e) {
                            problems.add(e.getMessage());
                        }
                        bar.step();
                    }
                    if (pixels.images() == 0) {
                        problems.add(dataset.root + ": class " + cls + " has no readable images");
                        continue;
                    }
                    float[] image = new float[imageScores.size()];
                    for (int i = 0; i < image.length; i++) {
                        image[i] = imageScores.get(i);
                    }
                    results.add(ClassMetrics.evaluate(cls, pixels, image));
                }
            }
            if (reused > 0) {
                console.printf("%d maps reused from the earlier run%n", reused);
            }
        }
        String heading = title != null ? title : "ClipSAM on " + dataset.root.getFileName() + " ("
                + (ablation != null ? ablation.id() : useSam ? "with MMR" : "rough map, no MMR") + ")";
        EvaluationReport report = new EvaluationReport(heading, results, provenance);
        console.print(report.table());
        List<Path> written = new ArrayList<>(report.write(out));
        written.addAll(CurvePlots.write(out, results));
        AtomicFiles.writeString(out.resolve("image_scores.csv"), scoreCsv.toString());
        written.add(out.resolve("image_scores.csv"));
        console.println("wrote " + String.join(", ", written.stream().map(Path::toString).toList())
                + (noMaps ? "" : " and the maps in " + out.resolve("maps")));
        if (!problems.isEmpty()) {
            console.printf("%d problems:%n", problems.size());
            problems.forEach(p -> console.println("  " + p));
            return ClipSamCommand.EXIT_PROBLEMS;
        }
        return 0;
    }

    /** {@code <class>/<defect>/<image stem>}: the layout 'clipsam metrics --dataset' reads. */
    private static String mapKey(Sample sample) {
        String name = sample.image().getFileName().toString();
        int dot = name.lastIndexOf('.');
        return sample.className() + "/" + sample.defectType() + "/" + (dot < 0 ? name : name.substring(0, dot));
    }

    private static float[] readMap(Path file, int grid) {
        MapFiles.AnomalyMap m = MapFiles.read(file);
        if (m.width() != grid || m.height() != grid) {
            throw new UserInputException(file + ": map is " + m.width() + "x" + m.height() + ", not " + grid + "x"
                    + grid + "; it belongs to another run (drop --resume)");
        }
        return m.values();
    }

    /** Writes the run's settings; on --resume they must equal those of the run continued. */
    private void recordSettings(Map<String, String> provenance) throws IOException {
        ObjectNode settings = JSON.createObjectNode();
        provenance.forEach(settings::put);
        Path file = out.resolve(SETTINGS);
        if (resume && Files.isRegularFile(file)) {
            JsonNode before = JSON.readTree(file.toFile());
            if (!before.equals(settings)) {
                throw new UserInputException(file + ": the run in " + out + " used other settings (" + before
                        + "); resume it with the same options, or start a new one");
            }
            return;
        }
        Files.createDirectories(out);
        AtomicFiles.writeString(file, JSON.writeValueAsString(settings) + "\n");
    }

    static final class AblationConverter implements picocli.CommandLine.ITypeConverter<Ablation> {
        @Override
        public Ablation convert(String value) {
            for (Ablation a : Ablation.values()) {
                if (a.id().equalsIgnoreCase(value)) {
                    return a;
                }
            }
            throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not one of full, no-mmr,"
                    + " strip, scale, linear");
        }
    }
}

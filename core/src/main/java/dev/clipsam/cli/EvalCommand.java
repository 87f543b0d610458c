package dev.clipsam.cli;

import dev.clipsam.data.Dataset;
import dev.clipsam.engine.ClipSam;
import dev.clipsam.engine.Evaluation;
import dev.clipsam.engine.MapStore;
import dev.clipsam.engine.RunSettings;
import dev.clipsam.eval.EvaluationReport;
import dev.clipsam.umci.HeadType;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
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

    @Option(names = "--refs-per-class", paramLabel = "K", description = "The few-shot protocol: K normal images of"
            + " each class as references (MVTec train/good, VisA train rows; else the first K normal test images,"
            + " which are then not scored); with or without --head.")
    Integer refsPerClass;

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
        if (!models.refs.isEmpty()) {
            throw new UserInputException("eval takes references per class with --refs-per-class K, not --refs");
        }
        if (ablation != null && models.head == null) {
            throw new UserInputException("--ablation " + ablation.id() + " compares heads; give --head");
        }
        if (refsPerClass != null && refsPerClass < 1) {
            throw new UserInputException("--refs-per-class " + refsPerClass + " must be at least 1");
        }
        if (models.head == null && refsPerClass == null) {
            throw new UserInputException("eval needs a trained head (--head) or references (--refs-per-class K), or"
                    + " both");
        }
        models.options(mmr, null, useSam, List.of(Path.of("placeholder")));   // every option checked first
        Dataset data = dataset.scan();
        if (data.all().isEmpty()) {
            throw new UserInputException(dataset.root + ": no images to evaluate");
        }
        int k = refsPerClass == null ? 0 : refsPerClass;
        List<Path> firstRefs = k == 0 ? List.of() : data.references(data.classNames().get(0), k).images();
        if (!overwrite && !resume) {
            OutputFolder.requireEmpty(out, "use --overwrite to replace its report, or --resume to continue the run in"
                    + " it");
        } else {
            OutputFolder.requireWritable(out);
        }
        PrintWriter console = spec.commandLine().getOut();
        Evaluation.Result result;
        Map<String, String> provenance;
        try (ClipSam engine = models.open(mmr, null, useSam, firstRefs)) {
            HeadType type = engine.headConfig() == null ? null : engine.headConfig().type();
            if (ablation != null && type != ablation.head) {
                throw new UserInputException("--ablation " + ablation.id() + " needs a " + ablation.head.id()
                        + " head (clipsam train --head " + ablation.head.id() + "); " + models.head + " is a "
                        + type.id() + " head");
            }
            provenance = provenance(engine, useSam);
            RunSettings.record(out.resolve(SETTINGS), provenance, resume);
            console.printf("evaluating %d images of %d classes from %s%n", data.all().size(), data.classNames().size(),
                    dataset.root);
            console.flush();
            try (ProgressBar bar = Progress.bar("eval", data.all().size())) {
                result = Evaluation.of(engine).run(data, noMaps ? null : new MapStore(out.resolve("maps")), resume,
                        new Evaluation.Listener() {
                            @Override
                            public void classStarted(String className) {
                                bar.setExtraMessage(" " + className);
                            }

                            @Override
                            public void imageDone() {
                                bar.step();
                            }
                        }, k);
            }
        }
        if (result.reused() > 0) {
            console.printf("%d maps reused from the earlier run%n", result.reused());
        }
        String heading = title != null ? title : "ClipSAM on " + dataset.root.getFileName() + " ("
                + (ablation != null ? ablation.id() : useSam ? "with MMR" : "rough map, no MMR") + ")";
        EvaluationReport report = result.report(heading, provenance);
        console.print(report.table());
        List<Path> written = result.write(out, report, provenance);
        console.println("wrote " + String.join(", ", written.stream().map(Path::toString).toList())
                + (noMaps ? "" : " and the maps in " + out.resolve("maps")));
        return Problems.report(console, spec.commandLine().getErr(), result.problems(), "%d problems");
    }

    /** What the report says it measured; a resumed run must match it. */
    private Map<String, String> provenance(ClipSam engine, boolean useSam) {
        int s = engine.grid();
        Map<String, String> provenance = new LinkedHashMap<>();
        provenance.put("data", dataset.root.toAbsolutePath() + " (" + dataset.format.id() + ")");
        provenance.put("head", models.head == null ? "none" : models.head.toAbsolutePath() + " ("
                + engine.headConfig().type().id() + ")");
        if (refsPerClass != null) {
            provenance.put("references", refsPerClass + " normal images per class (" + models.combine + ")");
        }
        provenance.put("clip", models.clipFile().toAbsolutePath() + " (" + engine.clipConfig().name() + ", "
                + models.precision.name().toLowerCase(Locale.ROOT) + ")");
        provenance.put("MMR", useSam ? "SAM " + models.samFile().toAbsolutePath() + ", thr " + mmr.threshold
                + ", min area " + mmr.config().minArea(s) + ", " + mmr.points + " points " + mmr.mode.id()
                + ", seed " + mmr.seed : "off (rough map)");
        provenance.put("grid", s + " x " + s);
        provenance.put("image score", "maximum of the final map");
        if (ablation != null) {
            provenance.put("ablation", ablation.id());
        }
        return provenance;
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

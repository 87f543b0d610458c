package dev.clipsam.cli;

import dev.clipsam.engine.MapMetrics;
import dev.clipsam.eval.ClassMetrics;
import dev.clipsam.eval.CurvePlots;
import dev.clipsam.eval.EvaluationReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code clipsam metrics}: the paper's metrics for anomaly maps on disk. */
@Command(name = "metrics", description = {
    "Compute pixel AUROC, F1-max, AP and PRO (exact AUPRO@0.3, and APRIL-GAN's 200-threshold variant) and image"
        + " AUROC / AP / F1-max for anomaly maps against ground-truth masks, per class and averaged over classes.",
    "Maps: .npy (float32/float64 [H,W]) or 8/16-bit PNG/TIFF, anywhere under --maps; the first folder level is the"
        + " class (maps directly in --maps form one class 'all'). The mask of <dir>/<name>.<ext> is"
        + " <masks>/<dir>/<name>_mask.png or <name>.png; a map without mask is a normal image. Masks of another size"
        + " are resized to the map (bilinear, > 0.5). Image scores: --image-scores CSV (map,score), else the map"
        + " maximum.",
    "Writes metrics.csv, metrics.json, metrics.md and roc.png, pr.png, pro.png to --out."})
final class MetricsCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Option(names = "--maps", required = true, paramLabel = "DIR", description = "Anomaly maps.")
    Path mapsDir;

    @Option(names = "--masks", paramLabel = "DIR", description = "Ground-truth masks, same layout as --maps.")
    Path masksDir;

    @Option(names = "--dataset", paramLabel = "ROOT", description = "Instead of --masks: the dataset the maps were"
            + " made from (with --format); a map <class>/<defect>/<name>.npy takes that image's mask.")
    Path datasetRoot;

    @Option(names = "--format", paramLabel = "F", description = "Format of --dataset: mvtec, visa, mtd, ksdd2, folder.")
    dev.clipsam.data.DatasetFormat datasetFormat;

    @Option(names = "--image-scores", paramLabel = "CSV", description = "Image scores: columns map,score.")
    Path imageScoresFile;

    @Option(names = "--out", paramLabel = "DIR", description = "Report folder (default: metrics/ beside the maps"
            + " folder, never the current folder).")
    Path out;

    @Option(names = "--title", defaultValue = "Anomaly segmentation metrics", description = "Report title.")
    String title;

    @Option(names = "--overwrite", description = "Replace an existing report in --out.")
    boolean overwrite;

    @Override
    public Integer call() throws IOException {
        common.apply();
        if (out == null) {
            Path parent = mapsDir.toAbsolutePath().normalize().getParent();
            out = (parent != null ? parent : mapsDir.toAbsolutePath()).resolve("metrics");
        }
        if ((masksDir == null) == (datasetRoot == null) || (datasetRoot != null && datasetFormat == null)) {
            throw new UserInputException("give either --masks DIR, or --dataset ROOT with --format F");
        }
        for (Path dir : masksDir == null ? List.of(mapsDir) : List.of(mapsDir, masksDir)) {
            if (!Files.isDirectory(dir)) {
                throw new UserInputException(dir + ": folder not found");
            }
        }
        MapMetrics metrics = datasetRoot != null
                ? MapMetrics.withDataset(mapsDir, DatasetCommands.scan(datasetFormat, datasetRoot))
                : MapMetrics.withMasks(mapsDir, masksDir);
        if (!overwrite && Files.exists(out.resolve("metrics.csv"))) {
            throw new UserInputException(out.resolve("metrics.csv") + ": exists; use --overwrite to replace it");
        }
        Map<String, List<Path>> byClass = metrics.mapsByClass();
        if (byClass.isEmpty()) {
            throw new UserInputException(mapsDir + ": no maps (.npy, .png, .tif) found");
        }
        Map<String, Float> imageScores = imageScoresFile == null ? null : MapMetrics.readScores(imageScoresFile);
        MapMetrics.Result measured;
        try (ProgressBar bar = Progress.bar("metrics", byClass.values().stream().mapToInt(List::size).sum())) {
            measured = metrics.run(imageScores, String.valueOf(imageScoresFile), map -> bar.step());
        }
        List<ClassMetrics> results = measured.classes();
        List<String> problems = measured.problems();
        Map<String, String> provenance = new LinkedHashMap<>();
        provenance.put("maps", mapsDir.toAbsolutePath().toString());
        provenance.put("masks", masksDir != null ? masksDir.toAbsolutePath().toString()
                : datasetRoot.toAbsolutePath() + " (" + datasetFormat.id() + ")");
        provenance.put("image score", imageScoresFile == null ? "maximum of the map" : imageScoresFile.toString());
        EvaluationReport report = new EvaluationReport(title, results, provenance);
        PrintWriter console = spec.commandLine().getOut();
        console.print(report.table());
        Files.createDirectories(out);
        List<Path> written = new ArrayList<>(report.write(out));
        written.addAll(CurvePlots.write(out, results));
        console.println("wrote " + String.join(", ", written.stream().map(Path::toString).toList()));
        return Problems.report(console, spec.commandLine().getErr(), problems, "%d problems");
    }
}

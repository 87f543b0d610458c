package dev.clipsam.cli;

import dev.clipsam.data.MaskFiles;
import dev.clipsam.engine.MapStore;
import dev.clipsam.eval.ClassAccumulator;
import dev.clipsam.eval.ClassMetrics;
import dev.clipsam.eval.CurvePlots;
import dev.clipsam.eval.EvaluationReport;
import dev.clipsam.eval.MapFiles;
import dev.clipsam.image.ImageReadException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import me.tongfei.progressbar.ProgressBar;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
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

    /** With --dataset: "class/defect/stem" to the mask path (null for normal images). */
    private Map<String, Path> datasetMasks;

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
        if (datasetRoot != null) {
            datasetMasks = new HashMap<>();
            for (dev.clipsam.data.Sample s : DatasetCommands.scan(datasetFormat, datasetRoot).all()) {
                datasetMasks.put(MapStore.key(s), s.mask());
            }
        }
        if (!overwrite && Files.exists(out.resolve("metrics.csv"))) {
            throw new UserInputException(out.resolve("metrics.csv") + ": exists; use --overwrite to replace it");
        }
        Map<String, List<Path>> byClass = MapStore.mapsByClass(mapsDir);
        if (byClass.isEmpty()) {
            throw new UserInputException(mapsDir + ": no maps (.npy, .png, .tif) found");
        }
        Map<String, Float> imageScores = imageScoresFile == null ? Map.of() : readScores(imageScoresFile);
        List<String> problems = new ArrayList<>();
        Set<Path> usedMasks = new HashSet<>();
        List<ClassMetrics> results = new ArrayList<>();
        int total = byClass.values().stream().mapToInt(List::size).sum();
        try (ProgressBar bar = Progress.bar("metrics", total)) {
            for (Map.Entry<String, List<Path>> e : byClass.entrySet()) {
                ClassAccumulator accumulator = new ClassAccumulator(e.getKey(), 0);
                for (Path map : e.getValue()) {
                    bar.step();
                    try {
                        MapFiles.AnomalyMap m = MapFiles.read(map);
                        Path mask = maskFor(map);
                        if (mask != null) {
                            usedMasks.add(mask.toAbsolutePath().normalize());
                        }
                        String key = MapStore.key(mapsDir.relativize(map));
                        Float score = null;
                        if (imageScoresFile != null) {
                            score = imageScores.get(key);
                            if (score == null) {
                                problems.add(map + ": no image score in " + imageScoresFile + " (key " + key + ")");
                            }
                        }
                        accumulator.add(m.values(), MaskFiles.onGrid(mask, m.width(), m.height()), m.width(),
                                m.height(), score);
                    } catch (ImageReadException ex) {
                        problems.add(ex.getMessage());
                    }
                }
                if (accumulator.images() == 0) {
                    problems.add(mapsDir.resolve(e.getKey()) + ": class has no readable maps");
                    continue;
                }
                results.add(accumulator.metrics());
            }
        }
        if (masksDir != null) {
            problems.addAll(orphanMasks(usedMasks));
        }
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

    private Path maskFor(Path map) {
        Path rel = mapsDir.relativize(map);
        if (datasetMasks != null) {
            String key = MapStore.key(rel);
            if (!datasetMasks.containsKey(key)) {
                throw new ImageReadException(map, "no image " + key + " in the dataset " + datasetRoot);
            }
            return datasetMasks.get(key);
        }
        Path dir = rel.getParent() == null ? masksDir : masksDir.resolve(rel.getParent());
        String stem = MapStore.stem(map.getFileName().toString());
        for (String name : List.of(stem + "_mask.png", stem + ".png", stem + "_mask.bmp", stem + ".bmp",
                stem + "_mask.tif", stem + ".tif")) {
            Path candidate = dir.resolve(name);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private List<String> orphanMasks(Set<Path> used) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(masksDir)) {
            walk.filter(Files::isRegularFile).filter(MapFiles::isMap).sorted().forEach(p -> {
                if (!used.contains(p.toAbsolutePath().normalize())) {
                    out.add(p + ": mask for a map that does not exist");
                }
            });
        }
        return out;
    }

    private static Map<String, Float> readScores(Path csv) {
        Map<String, Float> scores = new HashMap<>();
        try (Reader in = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            for (CSVRecord r : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(in)) {
                scores.put(MapStore.key(Path.of(r.get("map").trim())), Float.parseFloat(r.get("score").trim()));
            }
        } catch (IOException | RuntimeException e) {
            throw new UserInputException(csv + ": cannot be read as image scores (columns map,score): "
                    + e.getMessage());
        }
        return scores;
    }
}

package dev.clipsam.engine;

import dev.clipsam.data.Dataset;
import dev.clipsam.data.MaskFiles;
import dev.clipsam.data.Sample;
import dev.clipsam.eval.ClassAccumulator;
import dev.clipsam.eval.ClassMetrics;
import dev.clipsam.eval.MapFiles;
import dev.clipsam.image.ImageReadException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

/**
 * The metrics of maps already on disk (what {@code clipsam metrics} reports): every map under a folder, grouped by
 * class ({@link MapStore#mapsByClass}), against its ground truth from a mirrored mask tree or from a dataset (maps
 * named by {@link MapStore#key(Sample)}), with the map's maximum or given image scores.
 */
public final class MapMetrics {

    /** Called once per map read. */
    public interface Listener {
        void map(Path file);
    }

    /**
     * @param classes  per-class metrics
     * @param problems unreadable maps, missing image scores, classes without readable maps, masks without a map
     */
    public record Result(List<ClassMetrics> classes, List<String> problems) {
    }

    private final Path maps;
    private final Path masks;
    private final Dataset dataset;
    private final Map<String, Path> datasetMasks;

    private MapMetrics(Path maps, Path masks, Dataset dataset) {
        this.maps = maps;
        this.masks = masks;
        this.dataset = dataset;
        if (dataset != null) {
            datasetMasks = new HashMap<>();
            for (Sample s : dataset.all()) {
                datasetMasks.put(MapStore.key(s), s.mask());
            }
        } else {
            datasetMasks = null;
        }
    }

    /** Masks in a tree that mirrors the maps' ({@code <name>_mask.png} or {@code <name>.png}, also .bmp and .tif). */
    public static MapMetrics withMasks(Path maps, Path masks) {
        return new MapMetrics(maps, masks, null);
    }

    /** Masks from the dataset the maps were made on ({@code <class>/<defect>/<image stem>.npy}). */
    public static MapMetrics withDataset(Path maps, Dataset dataset) {
        return new MapMetrics(maps, null, dataset);
    }

    /** Every map, in sorted order per class. */
    public Map<String, List<Path>> mapsByClass() throws IOException {
        return MapStore.mapsByClass(maps);
    }

    /**
     * @param imageScores image score by map key, or null for each map's maximum
     * @param scoresFrom  where the scores come from, for messages
     */
    public Result run(Map<String, Float> imageScores, String scoresFrom, Listener listener) throws IOException {
        List<String> problems = new ArrayList<>();
        Set<Path> usedMasks = new HashSet<>();
        List<ClassMetrics> results = new ArrayList<>();
        for (Map.Entry<String, List<Path>> e : mapsByClass().entrySet()) {
            ClassAccumulator accumulator = new ClassAccumulator(e.getKey(), 0);
            for (Path map : e.getValue()) {
                listener.map(map);
                try {
                    MapFiles.AnomalyMap m = MapFiles.read(map);
                    Path mask = maskFor(map);
                    if (mask != null) {
                        usedMasks.add(mask.toAbsolutePath().normalize());
                    }
                    String key = MapStore.key(maps.relativize(map));
                    Float score = null;
                    if (imageScores != null) {
                        score = imageScores.get(key);
                        if (score == null) {
                            problems.add(map + ": no image score in " + scoresFrom + " (key " + key + ")");
                        }
                    }
                    accumulator.add(m.values(), MaskFiles.onGrid(mask, m.width(), m.height()), m.width(), m.height(),
                            score);
                } catch (ImageReadException ex) {
                    problems.add(ex.getMessage());
                }
            }
            if (accumulator.images() == 0) {
                problems.add(maps.resolve(e.getKey()) + ": class has no readable maps");
                continue;
            }
            results.add(accumulator.metrics());
        }
        if (masks != null) {
            problems.addAll(orphanMasks(usedMasks));
        }
        return new Result(results, problems);
    }

    /** Image scores from a CSV with columns {@code map,score}, by map key. */
    public static Map<String, Float> readScores(Path csv) {
        Map<String, Float> scores = new HashMap<>();
        try (Reader in = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            for (CSVRecord r : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(in)) {
                scores.put(MapStore.key(Path.of(r.get("map").trim())), Float.parseFloat(r.get("score").trim()));
            }
        } catch (IOException | RuntimeException e) {
            throw new RunException(csv + ": cannot be read as image scores (columns map,score): " + e.getMessage());
        }
        return scores;
    }

    private Path maskFor(Path map) {
        Path rel = maps.relativize(map);
        if (datasetMasks != null) {
            String key = MapStore.key(rel);
            if (!datasetMasks.containsKey(key)) {
                throw new ImageReadException(map, "no image " + key + " in the dataset " + dataset.root());
            }
            return datasetMasks.get(key);
        }
        Path dir = rel.getParent() == null ? masks : masks.resolve(rel.getParent());
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
        try (Stream<Path> walk = Files.walk(masks)) {
            walk.filter(Files::isRegularFile).filter(MapFiles::isMap).sorted().forEach(p -> {
                if (!used.contains(p.toAbsolutePath().normalize())) {
                    out.add(p + ": mask for a map that does not exist");
                }
            });
        }
        return out;
    }
}

package dev.clipsam.engine;

import dev.clipsam.data.Dataset;
import dev.clipsam.data.MaskFiles;
import dev.clipsam.data.Sample;
import dev.clipsam.eval.ClassAccumulator;
import dev.clipsam.eval.ClassMetrics;
import dev.clipsam.eval.EvaluationReport;
import dev.clipsam.image.ImageFiles;
import dev.clipsam.image.ImageReadException;
import dev.clipsam.io.AtomicFiles;
import dev.clipsam.mmr.ImageScore;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * The paper's evaluation (docs/DESIGN.md §6): every image of a dataset through the engine with its class name in the
 * prompts, the final maps against the ground-truth masks, per-class metrics. Maps are kept in a {@link MapStore}
 * when one is given; with {@code resume}, maps already there are read instead of predicted.
 */
public final class Evaluation {

    /** Progress of a run; every method has a default that does nothing. */
    public interface Listener {
        default void classStarted(String className) {
        }

        default void imageDone() {
        }
    }

    /** One line of {@code image_scores.csv}. */
    public record ImageScoreRow(String map, float score, double topMean, String className, String defect,
            String image) {
    }

    /**
     * What a run produced.
     *
     * @param classes     per-class metrics, in the dataset's class order
     * @param imageScores one row per image scored
     * @param problems    one line per image or class that could not be scored (the dataset's own problems first)
     * @param reused      maps read from the store instead of predicted
     */
    public record Result(List<ClassMetrics> classes, List<ImageScoreRow> imageScores, List<String> problems,
            int reused) {

        public EvaluationReport report(String title, Map<String, String> provenance) {
            return new EvaluationReport(title, classes, provenance);
        }

        /**
         * Writes the evaluation's report into a folder: the paper-shaped table ({@code metrics.csv}, {@code .json},
         * {@code .md}), the ROC / PR / PRO curves, {@code image_scores.csv} and {@code report.html}.
         *
         * @return the files written
         */
        public List<Path> write(Path out, EvaluationReport report, Map<String, String> provenance)
                throws IOException {
            List<Path> written = new java.util.ArrayList<>(report.write(out));
            written.addAll(dev.clipsam.eval.CurvePlots.write(out, classes));
            writeImageScores(out.resolve("image_scores.csv"));
            written.add(out.resolve("image_scores.csv"));
            written.add(HtmlReport.evaluation(out, report, report.title(), provenance, imageScores));
            return written;
        }

        /** Writes {@code image_scores.csv} (map, score, score_top100_mean, class, defect, image). */
        public void writeImageScores(Path file) throws IOException {
            StringWriter csv = new StringWriter();
            try (CSVPrinter printer = new CSVPrinter(csv, CSVFormat.DEFAULT.builder().setHeader("map", "score",
                    "score_top100_mean", "class", "defect", "image").get())) {
                for (ImageScoreRow r : imageScores) {
                    printer.printRecord(r.map(), Float.toString(r.score()), Double.toString(r.topMean()),
                            r.className(), r.defect(), r.image());
                }
            }
            AtomicFiles.writeString(file, csv.toString());
        }
    }

    private final ClipSam engine;

    private Evaluation(ClipSam engine) {
        this.engine = engine;
    }

    public static Evaluation of(ClipSam engine) {
        return new Evaluation(engine);
    }

    /**
     * Evaluates every image of the dataset.
     *
     * @param maps   where final maps are kept, or null to keep none
     * @param resume read the maps already in {@code maps} instead of predicting their images
     */
    public Result run(Dataset data, MapStore maps, boolean resume, Listener listener) throws IOException {
        return run(data, maps, resume, listener, 0);
    }

    /**
     * Evaluates every image of the dataset; with {@code refsPerClass} K > 0, the few-shot protocol: each class is
     * scored with K of its own normal images as references ({@link Dataset#references}); references taken from
     * the test images are not scored.
     */
    public Result run(Dataset data, MapStore maps, boolean resume, Listener listener, int refsPerClass)
            throws IOException {
        int s = engine.grid();
        List<String> problems = new ArrayList<>(data.problems());
        List<ClassMetrics> classes = new ArrayList<>();
        List<ImageScoreRow> scores = new ArrayList<>();
        int reused = 0;
        for (String cls : data.classNames()) {
            listener.classStarted(cls);
            List<Sample> samples = data.samples(cls);
            if (refsPerClass > 0) {
                Dataset.References refs = data.references(cls, refsPerClass);
                if (refs.images().isEmpty()) {
                    problems.add(data.root() + ": class " + cls + " has no normal image to take as a reference");
                    continue;
                }
                engine.useReferences(refs.images());
                if (refs.fromTest()) {
                    java.util.Set<Path> taken = new java.util.HashSet<>(refs.images());
                    samples = samples.stream().filter(x -> !taken.contains(x.image())).toList();
                }
            }
            ClassAccumulator accumulator = new ClassAccumulator(cls, (long) samples.size() * s * s);
            for (Sample sample : samples) {
                if (sample.anomalous() && sample.mask() == null) {
                    listener.imageDone();
                    continue;   // listed among the dataset's problems; without a mask it cannot be scored
                }
                try {
                    String key = MapStore.key(sample);
                    float[] map;
                    double score;
                    double topMean;
                    if (resume && maps != null && maps.has(key)) {
                        map = maps.read(key, s);
                        score = ImageScore.max(map);
                        topMean = ImageScore.topMean(map, ImageScore.DEFAULT_TOP_K);
                        reused++;
                    } else {
                        Prediction p = engine.predict(ImageFiles.read(sample.image()), cls);
                        map = p.finalMap();
                        score = p.score();
                        topMean = p.topMean();
                        if (maps != null) {
                            maps.write(key, map, s);
                        }
                    }
                    accumulator.add(map, MaskFiles.onGrid(sample.mask(), s, s), s, s, (float) score);
                    scores.add(new ImageScoreRow(key + ".npy", (float) score, topMean, cls, sample.defectType(),
                            sample.image().toString()));
                } catch (ImageReadException e) {
                    problems.add(e.getMessage());
                }
                listener.imageDone();
            }
            if (accumulator.images() == 0) {
                problems.add(data.root() + ": class " + cls + " has no readable images");
                continue;
            }
            classes.add(accumulator.metrics());
        }
        return new Result(classes, scores, problems, reused);
    }
}

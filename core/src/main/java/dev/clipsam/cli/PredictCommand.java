package dev.clipsam.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clipsam.engine.ClipSam;
import dev.clipsam.engine.HtmlReport;
import dev.clipsam.engine.InputImages;
import dev.clipsam.engine.PredictionRow;
import dev.clipsam.engine.PredictionWriter;
import dev.clipsam.engine.RunSettings;
import dev.clipsam.image.Image8;
import dev.clipsam.image.ImageFiles;
import dev.clipsam.image.ImageReadException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code clipsam predict}: anomaly score, defect mask and heat-map overlay for every image given. */
@Command(name = "predict", description = {
    "Find anomalies in images: CLIP + the trained head give a rough anomaly map, SAM refines it (MMR), and every"
        + " image gets an anomaly score (the final map's maximum), a defect mask and a heat-map overlay.",
    "Writes, per image, <name>_mask.png (255 = defect, at the image's size), <name>_overlay.png (left: the rough"
        + " map with the boxes and points given to SAM; right: the final map with the mask outlined) and with"
        + " --save-maps <name>_map.npy (the final map, float32 on the model's grid); and results.csv and"
        + " results.json with one row per image. Folders are searched recursively and their structure is kept."})
final class PredictCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Mixin
    ModelOptions models;

    @Mixin
    MmrOptions mmr;

    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Images or folders of images.")
    List<Path> inputs;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--class-name", paramLabel = "NAME", description = "What the images show, for the text prompts"
            + " (e.g. bottle; default: the class folder in a dataset layout, as eval uses it, else object).")
    String className;

    @Option(names = "--threshold", paramLabel = "T", description = "Final-map value above which a pixel is a defect"
            + " (default: the head's F1-optimal threshold on its training data, from its JSON).")
    Double threshold;

    @Option(names = "--save-maps", description = "Also write every final map as <name>_map.npy.")
    boolean saveMaps;

    @Option(names = "--overwrite", description = "Write into an output folder that is not empty.")
    boolean overwrite;

    @Option(names = "--resume", description = "Continue a run in --out: images whose outputs are complete are not"
            + " predicted again (the settings must be the same).")
    boolean resume;

    @Override
    public Integer call() throws IOException {
        common.apply();
        models.options(mmr, threshold, !mmr.noSam);   // every option checked before any file is read
        List<InputImages.Input> images;
        try {
            images = InputImages.collect(inputs, out);
        } catch (IllegalArgumentException e) {
            throw new UserInputException(e.getMessage());
        }
        if (overwrite || resume) {
            OutputFolder.requireWritable(out);
        } else {
            OutputFolder.requireEmpty(out, "use --overwrite to write into it, or --resume to continue the run in it");
        }
        PrintWriter console = spec.commandLine().getOut();
        List<String> problems = new ArrayList<>();
        String cls = className == null ? "object" : className;
        PredictionWriter writer = new PredictionWriter(out, saveMaps);
        List<PredictionRow> rows = new ArrayList<>(resume ? writer.completedRows() : List.of());
        Set<String> done = new HashSet<>();
        rows.forEach(r -> done.add(r.name()));
        ObjectNode settings;
        int total = images.size();
        try (ClipSam engine = models.open(mmr, threshold, !mmr.noSam); Interruption stop = new Interruption()) {
            console.printf("%d images%s; CLIP %s at %d px, head %s, %s; mask threshold %.4f%s%n", total,
                    done.isEmpty() ? "" : " (" + done.size() + " done in the run continued)",
                    engine.clipConfig().name(), engine.grid(), engine.identity().head(),
                    mmr.noSam ? "no SAM (rough map only)" : "SAM " + engine.identity().sam(), engine.threshold(),
                    threshold != null ? "" : models.head != null ? " (from the head)" : " (the calibrated references' 0.5)");
            console.flush();
            settings = settings(engine);
            RunSettings.record(out.resolve("predict-settings.json"), flat(settings), resume);
            writer.begin(rows);
            try (ProgressBar bar = Progress.bar("predict", total)) {
                bar.stepTo(done.size());
                for (InputImages.Input in : images) {
                    if (stop.requested()) {
                        break;
                    }
                    if (done.contains(in.name())) {
                        continue;
                    }
                    try {
                        Image8 image = ImageFiles.read(in.file());
                        // --class-name wins; else the class folder of a dataset layout, as eval prompts it
                        String prompt = className != null ? className : in.className();
                        PredictionRow row = writer.write(in.file(), in.name(), prompt == null ? cls : prompt, image,
                                engine.predict(image, prompt));
                        writer.append(row);
                        rows.add(row);
                    } catch (ImageReadException e) {
                        problems.add(e.getMessage());
                    }
                    bar.step();
                }
            }
            writer.writeResults(rows, settings, problems);
            HtmlReport.predictions(out, "ClipSAM predictions in " + out.toAbsolutePath().getFileName(), flat(settings),
                    rows, engine.threshold());
            console.printf("wrote %d results to %s (results.csv, results.json, report.html)%n", rows.size(), out);
            if (stop.requested()) {   // said before the shutdown the signal started goes on
                console.printf("interrupted after %d of %d images; continue with --resume%n", rows.size(), total);
            }
            console.flush();
        }
        return Problems.report(console, spec.commandLine().getErr(), problems, "%d of " + total + " images skipped");
    }

    /** The settings as the flat map a resumed run is compared with (nested objects as dotted keys). */
    private static Map<String, String> flat(ObjectNode settings) {
        Map<String, String> out = new LinkedHashMap<>();
        settings.fields().forEachRemaining(e -> {
            if (e.getValue().isObject()) {
                e.getValue().fields().forEachRemaining(inner -> out.put(e.getKey() + "." + inner.getKey(),
                        inner.getValue().asText()));
            } else {
                out.put(e.getKey(), e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString());
            }
        });
        return out;
    }

    private ObjectNode settings(ClipSam engine) {
        ObjectNode s = new ObjectMapper().createObjectNode();
        s.put("head", String.valueOf(models.head));
        s.put("refs", models.refs.toString());
        s.put("class_name", className != null ? className : "each image's class folder in a dataset layout, else"
                + " object");
        s.put("sam", !mmr.noSam);
        s.put("mmr_threshold", mmr.threshold);
        s.put("points", mmr.points);
        s.put("points_mode", mmr.mode.id());
        s.put("seed", mmr.seed);
        s.put("precision", models.precision.name().toLowerCase(Locale.ROOT));
        s.put("threshold", engine.threshold());
        ObjectNode model = s.putObject("model");
        model.put("clip", engine.identity().clip());
        model.put("clip_sha256", engine.identity().clipSha256());
        model.put("sam", engine.identity().sam());
        model.put("head", engine.identity().head());
        return s;
    }
}

package dev.clipsam.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clipsam.engine.ClipSam;
import dev.clipsam.engine.MapStore;
import dev.clipsam.engine.PredictionRow;
import dev.clipsam.engine.PredictionWriter;
import dev.clipsam.image.Image8;
import dev.clipsam.image.ImageFiles;
import dev.clipsam.image.ImageReadException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
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
            + " (e.g. bottle; default: object).")
    String className;

    @Option(names = "--threshold", paramLabel = "T", description = "Final-map value above which a pixel is a defect"
            + " (default: the head's F1-optimal threshold on its training data, from its JSON).")
    Double threshold;

    @Option(names = "--save-maps", description = "Also write every final map as <name>_map.npy.")
    boolean saveMaps;

    @Option(names = "--overwrite", description = "Write into an output folder that is not empty.")
    boolean overwrite;

    /** One input image and the name of its outputs (relative path without extension). */
    record Input(Path file, String name) {
    }

    @Override
    public Integer call() throws IOException {
        common.apply();
        models.options(mmr, threshold, !mmr.noSam);   // every option checked before any file is read
        List<Input> images = collect();
        if (!overwrite) {
            OutputFolder.requireEmpty(out, "use --overwrite to write into it");
        }
        PrintWriter console = spec.commandLine().getOut();
        List<String> problems = new ArrayList<>();
        List<PredictionRow> rows = new ArrayList<>();
        String cls = className == null ? "object" : className;
        PredictionWriter writer = new PredictionWriter(out, saveMaps);
        ObjectNode settings;
        try (ClipSam engine = models.open(mmr, threshold, !mmr.noSam)) {
            console.printf("%d images; CLIP %s at %d px, %s head, %s; mask threshold %.4f%s%n", images.size(),
                    engine.clipConfig().name(), engine.grid(), engine.headConfig().type().id(),
                    mmr.noSam ? "no SAM (rough map only)" : "SAM " + engine.identity().sam(), engine.threshold(),
                    threshold == null ? " (from the head)" : "");
            console.flush();
            settings = settings(engine);
            Files.createDirectories(out);
            try (ProgressBar bar = Progress.bar("predict", images.size())) {
                for (Input in : images) {
                    try {
                        Image8 image = ImageFiles.read(in.file());
                        rows.add(writer.write(in.file(), in.name(), cls, image, engine.predict(image, className)));
                    } catch (ImageReadException e) {
                        problems.add(e.getMessage());
                    }
                    bar.step();
                }
            }
        }
        writer.writeResults(rows, settings, problems);
        console.printf("wrote %d results to %s (results.csv, results.json)%n", rows.size(), out);
        return Problems.report(console, spec.commandLine().getErr(), problems, "%d of " + images.size()
                + " images skipped");
    }

    private ObjectNode settings(ClipSam engine) {
        ObjectNode s = new ObjectMapper().createObjectNode();
        s.put("head", models.head.toString());
        s.put("class_name", className == null ? "object" : className);
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

    /** Every input image with a unique output name; folders are searched recursively, in sorted order. */
    private List<Input> collect() throws IOException {
        List<Input> found = new ArrayList<>();
        for (Path in : inputs) {
            if (Files.isDirectory(in)) {
                List<Path> files;
                try (Stream<Path> walk = Files.walk(in)) {
                    files = walk.filter(Files::isRegularFile).filter(ImageFiles::hasImageExtension).sorted().toList();
                }
                if (files.isEmpty()) {
                    throw new UserInputException(in + ": no images (" + String.join(", ",
                            ImageFiles.EXTENSIONS.stream().sorted().toList()) + ") in this folder");
                }
                for (Path f : files) {
                    found.add(new Input(f, MapStore.stem(in.relativize(f).toString().replace('\\', '/'))));
                }
            } else if (Files.exists(in)) {
                found.add(new Input(in, MapStore.stem(in.getFileName().toString())));
            } else {
                throw new UserInputException(in + ": file not found");
            }
        }
        Map<String, Path> names = new HashMap<>();
        for (Input i : found) {
            Path other = names.putIfAbsent(i.name(), i.file());
            if (other != null) {
                throw new UserInputException(i.file() + ": its outputs would have the same name (" + i.name()
                        + ") as those of " + other + "; predict them in separate runs");
            }
        }
        return found;
    }
}

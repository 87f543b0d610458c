package dev.clipsam.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clipsam.image.HeatMap;
import dev.clipsam.image.Image8;
import dev.clipsam.image.ImageFiles;
import dev.clipsam.image.ImageReadException;
import dev.clipsam.image.ImageWriter;
import dev.clipsam.image.Overlay;
import dev.clipsam.io.AtomicFiles;
import dev.clipsam.io.Npy;
import dev.clipsam.mmr.RegionPrompts;
import dev.clipsam.pipeline.ClipSam;
import dev.clipsam.pipeline.MapResize;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
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
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
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

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final int PANEL_GAP = 8;

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
        List<Input> images = collect();
        if (!overwrite) {
            OutputFolder.requireEmpty(out, "use --overwrite to write into it");
        }
        PrintWriter console = spec.commandLine().getOut();
        List<String> problems = new ArrayList<>();
        ArrayNode rows = JSON.createArrayNode();
        try (ModelOptions.Models loaded = models.load(!mmr.noSam)) {
            double thr = threshold != null ? threshold : loaded.headThreshold();
            ClipSam pipeline = loaded.pipeline(mmr.config());
            console.printf("%d images; CLIP %s at %d px, %s head, %s; mask threshold %.4f%s%n", images.size(),
                    loaded.clip.config().name(), pipeline.grid(), loaded.head.config().type().id(),
                    mmr.noSam ? "no SAM (rough map only)" : "SAM " + loaded.sam.config().name(), thr,
                    threshold == null ? " (from the head)" : "");
            console.flush();
            Files.createDirectories(out);
            try (ProgressBar bar = Progress.bar("predict", images.size())) {
                for (Input in : images) {
                    try {
                        rows.add(predictOne(pipeline, in, thr));
                    } catch (ImageReadException e) {
                        problems.add(e.getMessage());
                    }
                    bar.step();
                }
            }
        }
        writeResults(rows, problems);
        console.printf("wrote %d results to %s (results.csv, results.json)%n", rows.size(), out);
        if (!problems.isEmpty()) {
            console.printf("%d of %d images skipped:%n", problems.size(), images.size());
            problems.forEach(p -> console.println("  " + p));
            return ClipSamCommand.EXIT_PROBLEMS;
        }
        return 0;
    }

    private ObjectNode predictOne(ClipSam pipeline, Input in, double thr) throws IOException {
        Image8 image = ImageFiles.read(in.file());
        ClipSam.Prediction p = pipeline.predict(image, className);
        int w = image.width();
        int h = image.height();
        float[] full = MapResize.toImage(p.finalMap(), p.grid(), h, w);
        boolean[] mask = new boolean[full.length];
        int defect = 0;
        for (int k = 0; k < full.length; k++) {
            mask[k] = full[k] > thr;
            defect += mask[k] ? 1 : 0;
        }
        Path maskFile = out.resolve(in.name() + "_mask.png");
        Path overlayFile = out.resolve(in.name() + "_overlay.png");
        ImageWriter.writeMask(maskFile, mask, w, h);
        ImageWriter.writePng(overlayFile, overlay(image, p, full, mask));
        Path mapFile = null;
        if (saveMaps) {
            mapFile = out.resolve(in.name() + "_map.npy");
            Path target = mapFile;
            AtomicFiles.write(target, tmp -> Npy.write(tmp, p.finalMap(), p.grid(), p.grid()));
        }
        ObjectNode row = JSON.createObjectNode();
        row.put("image", in.file().toString());
        row.put("name", in.name());
        row.put("class_name", className == null ? "object" : className);
        row.put("score", p.score());
        row.put("score_top100_mean", p.topMean());
        row.put("defect_fraction", (double) defect / full.length);
        row.put("regions", p.regions());
        ArrayNode boxes = row.putArray("boxes");
        if (p.prompts() != null) {
            for (RegionPrompts.Box b : p.prompts().boxes()) {
                ArrayNode box = boxes.addArray();
                for (double v : b.xyxy()) {
                    box.add(v);
                }
            }
        }
        row.put("threshold", thr);
        row.put("mask", out.relativize(maskFile).toString());
        row.put("overlay", out.relativize(overlayFile).toString());
        row.put("map", mapFile == null ? null : out.relativize(mapFile).toString());
        ObjectNode t = row.putObject("seconds");
        t.put("clip", p.timings().clip());
        t.put("head", p.timings().head());
        t.put("sam_encoder", p.timings().samEncoder());
        t.put("sam_decoder", p.timings().samDecoder());
        t.put("total", p.timings().total());
        return row;
    }

    /** Rough map with SAM's prompts on the left, final map with the mask outline on the right. */
    private static BufferedImage overlay(Image8 image, ClipSam.Prediction p, float[] finalFull, boolean[] mask) {
        int w = image.width();
        int h = image.height();
        Overlay left = new Overlay(HeatMap.over(image, MapResize.toImage(p.rough(), p.grid(), h, w), 0.5));
        if (p.prompts() != null) {
            for (RegionPrompts.Box b : p.prompts().boxes()) {
                double[] xy = b.xyxy();
                left.box(xy[0], xy[1], xy[2], xy[3]);
            }
            for (RegionPrompts.PointSet s : p.prompts().pointSets()) {
                for (int k = 0; k < s.xy().length; k += 2) {
                    left.point(s.xy()[k], s.xy()[k + 1], true);
                }
            }
        }
        Overlay right = new Overlay(HeatMap.over(image, finalFull, 0.5)).mask(mask, Color.WHITE, 0.0);
        BufferedImage both = new BufferedImage(2 * w + PANEL_GAP, h, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = both.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, both.getWidth(), h);
        g.drawImage(left.image(), 0, 0, null);
        g.drawImage(right.image(), w + PANEL_GAP, 0, null);
        g.dispose();
        return both;
    }

    private void writeResults(ArrayNode rows, List<String> problems) throws IOException {
        StringWriter csv = new StringWriter();
        try (CSVPrinter printer = new CSVPrinter(csv, CSVFormat.DEFAULT.builder().setHeader("image", "name",
                "class_name", "score", "score_top100_mean", "defect_fraction", "regions", "threshold", "mask",
                "overlay", "seconds").get())) {
            for (var r : rows) {
                printer.printRecord(r.path("image").asText(), r.path("name").asText(), r.path("class_name").asText(),
                        r.path("score").asDouble(), r.path("score_top100_mean").asDouble(),
                        r.path("defect_fraction").asDouble(), r.path("regions").asInt(),
                        r.path("threshold").asDouble(), r.path("mask").asText(), r.path("overlay").asText(),
                        String.format(Locale.ROOT, "%.3f", r.path("seconds").path("total").asDouble()));
            }
        }
        AtomicFiles.writeString(out.resolve("results.csv"), csv.toString());
        ObjectNode doc = JSON.createObjectNode();
        ObjectNode settings = doc.putObject("settings");
        settings.put("head", models.head.toString());
        settings.put("class_name", className == null ? "object" : className);
        settings.put("sam", !mmr.noSam);
        settings.put("mmr_threshold", mmr.threshold);
        settings.put("points", mmr.points);
        settings.put("points_mode", mmr.mode.id());
        settings.put("seed", mmr.seed);
        settings.put("precision", models.precision.name().toLowerCase(Locale.ROOT));
        doc.set("images", rows);
        problems.forEach(doc.putArray("skipped")::add);
        AtomicFiles.writeString(out.resolve("results.json"), JSON.writeValueAsString(doc) + "\n");
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
                    found.add(new Input(f, stem(in.relativize(f).toString().replace('\\', '/'))));
                }
            } else if (Files.exists(in)) {
                found.add(new Input(in, stem(in.getFileName().toString())));
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

    private static String stem(String name) {
        int dot = name.lastIndexOf('.');
        return dot > name.lastIndexOf('/') ? name.substring(0, dot) : name;
    }
}

package dev.clipsam.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clipsam.image.HeatMap;
import dev.clipsam.image.Image8;
import dev.clipsam.image.ImageWriter;
import dev.clipsam.image.Overlay;
import dev.clipsam.io.AtomicFiles;
import dev.clipsam.io.Npy;
import dev.clipsam.mmr.RegionPrompts;
import dev.clipsam.pipeline.MapResize;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * Writes what {@code predict} promises per image into an output folder: {@code <name>_mask.png} (255 where the final
 * map at the image's size is above the threshold), {@code <name>_overlay.png} (two panels: the rough map with SAM's
 * boxes and points, and the final map with the mask outlined) and, when asked, {@code <name>_map.npy}; and the
 * rows of all images as {@code results.csv} and {@code results.json}. Every file appears complete or not at all.
 *
 * <p>A run that may be interrupted keeps its rows as it goes: {@link #begin} starts {@code results.csv} and
 * {@code results.jsonl} (one JSON row per line) with the rows of the run it continues, {@link #append} adds each
 * image's row as soon as the image is done (flushed), and {@link #writeResults} ends with {@code results.json}.
 * {@link #completedRows} reads back the rows of an interrupted run whose files are all there.
 */
public final class PredictionWriter {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper ROW_JSON = new ObjectMapper();
    private static final int PANEL_GAP = 8;

    private final Path out;
    private final boolean saveMaps;

    public PredictionWriter(Path out, boolean saveMaps) {
        this.out = out;
        this.saveMaps = saveMaps;
    }

    public Path folder() {
        return out;
    }

    /** Writes an image's mask, overlay and (when asked) map; returns its row. */
    public PredictionRow write(Path imageFile, String name, String className, Image8 image, Prediction p)
            throws IOException {
        Prediction.AtImageSize full = p.atImageSize();
        Path maskFile = out.resolve(name + "_mask.png");
        Path overlayFile = out.resolve(name + "_overlay.png");
        Files.createDirectories(maskFile.getParent());
        ImageWriter.writeMask(maskFile, full.mask(), image.width(), image.height());
        ImageWriter.writePng(overlayFile, overlay(image, p, full));
        Path mapFile = null;
        if (saveMaps) {
            mapFile = out.resolve(name + "_map.npy");
            AtomicFiles.write(mapFile, tmp -> Npy.write(tmp, p.finalMap(), p.grid(), p.grid()));
        }
        List<double[]> boxes = new ArrayList<>();
        if (p.prompts() != null) {
            p.prompts().boxes().forEach(b -> boxes.add(b.xyxy().clone()));
        }
        return new PredictionRow(imageFile.toString(), name, className, p.score(), p.topMean(),
                full.defectFraction(), boxes, p.threshold(), relative(maskFile), relative(overlayFile),
                mapFile == null ? null : relative(mapFile), p.timings());
    }

    /** Writes {@code results.csv} and {@code results.json} (the settings, the rows, the images skipped). */
    public void writeResults(List<PredictionRow> rows, ObjectNode settings, List<String> skipped) throws IOException {
        StringWriter csv = new StringWriter();
        try (CSVPrinter printer = new CSVPrinter(csv, CSVFormat.DEFAULT.builder()
                .setHeader(PredictionRow.CSV_HEADER.toArray(String[]::new)).get())) {
            for (PredictionRow r : rows) {
                printer.printRecord(r.csvValues());
            }
        }
        Files.createDirectories(out);
        AtomicFiles.writeString(out.resolve("results.csv"), csv.toString());
        ObjectNode doc = JSON.createObjectNode();
        doc.set("settings", settings);
        rows.forEach(r -> doc.withArray("images").add(r.toJson()));
        if (rows.isEmpty()) {
            doc.putArray("images");
        }
        skipped.forEach(doc.putArray("skipped")::add);
        if (skipped.isEmpty()) {
            doc.putArray("skipped");
        }
        AtomicFiles.writeString(out.resolve("results.json"), JSON.writeValueAsString(doc) + "\n");
    }

    /** Starts the streamed results with the rows of the run being continued (none for a new run). */
    public void begin(List<PredictionRow> previous) throws IOException {
        Files.createDirectories(out);
        StringBuilder csv = new StringBuilder(csvLine(PredictionRow.CSV_HEADER));
        StringBuilder jsonl = new StringBuilder();
        for (PredictionRow r : previous) {
            csv.append(csvLine(r.csvValues()));
            jsonl.append(ROW_JSON.writeValueAsString(r.toJson())).append('\n');
        }
        AtomicFiles.writeString(out.resolve("results.csv"), csv.toString());
        AtomicFiles.writeString(out.resolve("results.jsonl"), jsonl.toString());
    }

    /** Adds one image's row to {@code results.csv} and {@code results.jsonl}, flushed to disk. */
    public void append(PredictionRow row) throws IOException {
        appendLine(out.resolve("results.csv"), csvLine(row.csvValues()));
        appendLine(out.resolve("results.jsonl"), ROW_JSON.writeValueAsString(row.toJson()) + "\n");
    }

    /** The rows of an earlier (possibly interrupted) run in this folder whose mask and overlay exist. */
    public List<PredictionRow> completedRows() throws IOException {
        Path jsonl = out.resolve("results.jsonl");
        List<PredictionRow> rows = new ArrayList<>();
        if (!Files.isRegularFile(jsonl)) {
            return rows;
        }
        for (String line : Files.readAllLines(jsonl)) {
            if (line.isBlank()) {
                continue;
            }
            PredictionRow r;
            try {
                r = PredictionRow.fromJson(ROW_JSON.readTree(line));
            } catch (IOException e) {
                continue;   // a line cut by a crash: that image is predicted again
            }
            if (Files.isRegularFile(out.resolve(r.mask())) && Files.isRegularFile(out.resolve(r.overlay()))
                    && (r.map() == null || Files.isRegularFile(out.resolve(r.map())))) {
                rows.add(r);
            }
        }
        return rows;
    }

    private static String csvLine(List<?> values) throws IOException {
        StringWriter line = new StringWriter();
        try (CSVPrinter printer = new CSVPrinter(line, CSVFormat.DEFAULT)) {
            printer.printRecord(values);
        }
        return line.toString();
    }

    private static void appendLine(Path file, String text) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
            channel.force(false);
        }
    }

    private String relative(Path file) {
        return out.relativize(file).toString();
    }

    /** Draws {@code text} at the largest size up to {@code size} that fits {@code room}; else the short form. */
    private static void fitted(Graphics2D g, String text, String shorter, int x, int y, int room, int size) {
        for (String candidate : new String[] {text, shorter}) {
            for (int s = size; s >= 9; s--) {
                Font font = new Font(Font.SANS_SERIF, Font.PLAIN, s);
                if (g.getFontMetrics(font).stringWidth(candidate) <= room) {
                    g.setFont(font);
                    g.drawString(candidate, x, y);
                    return;
                }
            }
        }
    }

    /**
     * The overlay: titled panels (left, the rough map of CLIP + the head with the boxes and points given to SAM;
     * right, the final map after SAM with the mask outlined), a colour bar of the 0-1 scale with the threshold
     * marked, and a line with the score and the threshold. Without fonts (a bare server) the text is left out.
     */
    public static BufferedImage overlay(Image8 image, Prediction p, Prediction.AtImageSize full) {
        int w = image.width();
        int h = image.height();
        Overlay left = new Overlay(HeatMap.over(image, MapResize.toImage(p.rough(), p.grid(), h, w), 0.45));
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
        Overlay right = new Overlay(HeatMap.over(image, full.finalMap(), 0.45)).mask(full.mask(), Color.WHITE, 0.0);
        int text = Math.max(12, Math.min(28, h / 18));
        int bar = Math.max(10, Math.min(40, w / 16));
        int labels = text * 3;
        int top = text + 8;
        int bottom = text + 8;
        int width = 2 * w + PANEL_GAP + PANEL_GAP + bar + labels;
        BufferedImage all = new BufferedImage(width, top + h + bottom, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = all.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, all.getWidth(), all.getHeight());
        g.drawImage(left.image(), 0, top, null);
        g.drawImage(right.image(), w + PANEL_GAP, top, null);
        int barX = 2 * w + 2 * PANEL_GAP;
        int[] rgb = new int[3];
        for (int y = 0; y < h; y++) {
            HeatMap.jet(1f - (float) y / Math.max(1, h - 1), rgb);
            g.setColor(new Color(rgb[0], rgb[1], rgb[2]));
            g.drawLine(barX, top + y, barX + bar - 1, top + y);
        }
        int thresholdY = top + (int) Math.round((1 - Math.max(0, Math.min(1, p.threshold()))) * (h - 1));
        g.setColor(Color.BLACK);
        g.drawRect(barX, top, bar - 1, h - 1);
        g.fillRect(barX - 3, thresholdY - 1, bar + 6, 3);
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.BLACK);
            fitted(g, "rough map (CLIP + UMCI)", "rough map", 2, text + 2, w - 4, text);
            fitted(g, p.prompts() == null ? "final map (no SAM)" : "final map (after SAM)", "final map",
                    w + PANEL_GAP + 2, text + 2, w - 4, text);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, Math.min(text, labels / 2)));
            g.drawString("1", barX + bar + 4, top + text);
            g.drawString("0", barX + bar + 4, top + h - 2);
            g.drawString(String.format(Locale.ROOT, "%.2f", p.threshold()), barX + bar + 4, thresholdY + text / 2);
            fitted(g, String.format(Locale.ROOT, "score %.3f   threshold %.3f   %d region%s refined by SAM",
                    p.score(), p.threshold(), p.regions(), p.regions() == 1 ? "" : "s"), String.format(Locale.ROOT,
                    "score %.3f  thr %.2f", p.score(), p.threshold()), 2, top + h + text + 2, width - 4, text);
        } catch (RuntimeException | Error e) {
            // no fonts on this machine: the picture stays without text
        }
        g.dispose();
        return all;
    }
}

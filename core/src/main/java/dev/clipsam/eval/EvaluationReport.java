package dev.clipsam.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clipsam.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Per-class metrics and their unweighted mean over classes (as APRIL-GAN and AnomalyCLIP average), rendered as
 * the paper's table on the console and as CSV, JSON and Markdown files. Values in tables are percentages with one
 * decimal, as in the paper; the files keep full precision in [0, 1]. Undefined values (NaN) print as "-" and are
 * left out of the mean.
 */
public final class EvaluationReport {

    /** One column: header and how to read it off a class. */
    private record Column(String key, String header, ToDoubleFunction<ClassMetrics> value) {
    }

    private static final List<Column> COLUMNS = List.of(
            new Column("pixel_auroc", "pixel AUROC", m -> m.pixel().auroc()),
            new Column("pixel_f1_max", "F1-max", m -> m.pixel().f1Max()),
            new Column("pixel_ap", "AP", m -> m.pixel().ap()),
            new Column("pixel_aupro", "PRO", ClassMetrics::auproExact),
            new Column("pixel_aupro_aprilgan", "PRO (APRIL-GAN)", ClassMetrics::auproAprilGan),
            new Column("image_auroc", "image AUROC", m -> m.image().auroc()),
            new Column("image_ap", "image AP", m -> m.image().ap()),
            new Column("image_f1_max", "image F1-max", m -> m.image().f1Max()));

    private final String title;
    private final List<ClassMetrics> classes;
    private final Map<String, String> provenance;

    public String title() {
        return title;
    }

    public EvaluationReport(String title, List<ClassMetrics> classes, Map<String, String> provenance) {
        this.title = title;
        this.classes = List.copyOf(classes);
        this.provenance = new LinkedHashMap<>(provenance);
    }

    public List<ClassMetrics> classes() {
        return classes;
    }

    /** The unweighted mean of a column over the classes where it is defined. */
    public double mean(String key) {
        Column c = COLUMNS.stream().filter(col -> col.key().equals(key)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(key));
        return mean(c);
    }

    private double mean(Column c) {
        double sum = 0;
        int n = 0;
        for (ClassMetrics m : classes) {
            double v = c.value().applyAsDouble(m);
            if (!Double.isNaN(v)) {
                sum += v;
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** The console table. */
    public String table() {
        int nameWidth = Math.max(10, classes.stream().mapToInt(c -> c.className().length()).max().orElse(4) + 1);
        StringBuilder sb = new StringBuilder(title).append('\n');
        sb.append(String.format("%-" + nameWidth + "s %7s", "class", "images"));
        for (Column c : COLUMNS) {
            sb.append(String.format(" %" + Math.max(7, c.header().length()) + "s", c.header()));
        }
        sb.append('\n');
        for (ClassMetrics m : classes) {
            sb.append(String.format("%-" + nameWidth + "s %7d", m.className(), m.images()));
            for (Column c : COLUMNS) {
                sb.append(String.format(" %" + Math.max(7, c.header().length()) + "s", percent(c.value().applyAsDouble(m))));
            }
            sb.append('\n');
        }
        sb.append(String.format("%-" + nameWidth + "s %7d", "mean", classes.stream().mapToInt(ClassMetrics::images).sum()));
        for (Column c : COLUMNS) {
            sb.append(String.format(" %" + Math.max(7, c.header().length()) + "s", percent(mean(c))));
        }
        return sb.append('\n').toString();
    }

    static String percent(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", 100 * v);
    }

    /** Writes {@code metrics.csv}, {@code metrics.json}, {@code metrics.md} into {@code dir}. */
    public List<Path> write(Path dir) throws IOException {
        List<Path> written = new ArrayList<>();
        Path csv = dir.resolve("metrics.csv");
        AtomicFiles.writeString(csv, csv());
        written.add(csv);
        Path json = dir.resolve("metrics.json");
        AtomicFiles.writeString(json, json());
        written.add(json);
        Path md = dir.resolve("metrics.md");
        AtomicFiles.writeString(md, markdown());
        written.add(md);
        return written;
    }

    String csv() {
        StringBuilder sb = new StringBuilder("class,images,anomalous_images,regions,pixel_f1_threshold");
        COLUMNS.forEach(c -> sb.append(',').append(c.key()));
        sb.append('\n');
        for (ClassMetrics m : classes) {
            sb.append(m.className()).append(',').append(m.images()).append(',').append(m.anomalous()).append(',')
                    .append(m.regions()).append(',').append(number(m.pixel().f1Threshold()));
            COLUMNS.forEach(c -> sb.append(',').append(number(c.value().applyAsDouble(m))));
            sb.append('\n');
        }
        sb.append("mean,").append(classes.stream().mapToInt(ClassMetrics::images).sum()).append(',')
                .append(classes.stream().mapToInt(ClassMetrics::anomalous).sum()).append(',')
                .append(classes.stream().mapToInt(ClassMetrics::regions).sum()).append(',');
        COLUMNS.forEach(c -> sb.append(',').append(number(mean(c))));
        return sb.append('\n').toString();
    }

    String json() throws IOException {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("title", title);
        ObjectNode prov = root.putObject("provenance");
        provenance.forEach(prov::put);
        root.put("pro_definition", "pixel_aupro: exact AUPRO@0.3 (MVTec AD / anomalib >= 2.3: every distinct score,"
                + " integrated to FPR 0.3 and divided by 0.3); pixel_aupro_aprilgan: APRIL-GAN cal_pro_score"
                + " (200 thresholds, FPR < 0.3 rescaled to [0, 1])");
        ArrayNode list = root.putArray("classes");
        for (ClassMetrics m : classes) {
            ObjectNode o = list.addObject();
            o.put("class", m.className());
            o.put("images", m.images());
            o.put("anomalous_images", m.anomalous());
            o.put("regions", m.regions());
            o.put("pixel_f1_threshold", json(m.pixel().f1Threshold()));
            COLUMNS.forEach(c -> put(o, c.key(), c.value().applyAsDouble(m)));
        }
        ObjectNode mean = root.putObject("mean");
        COLUMNS.forEach(c -> put(mean, c.key(), mean(c)));
        return mapper.writeValueAsString(root) + "\n";
    }

    private static void put(ObjectNode o, String key, double v) {
        if (Double.isNaN(v)) {
            o.putNull(key);
        } else {
            o.put(key, v);
        }
    }

    private static Double json(double v) {
        return Double.isNaN(v) ? null : v;
    }

    String markdown() {
        StringBuilder sb = new StringBuilder("# ").append(title).append("\n\n");
        sb.append("| class | images |");
        COLUMNS.forEach(c -> sb.append(' ').append(c.header()).append(" |"));
        sb.append("\n| --- | ---: |");
        COLUMNS.forEach(c -> sb.append(" ---: |"));
        sb.append('\n');
        for (ClassMetrics m : classes) {
            sb.append("| ").append(m.className()).append(" | ").append(m.images()).append(" |");
            COLUMNS.forEach(c -> sb.append(' ').append(percent(c.value().applyAsDouble(m))).append(" |"));
            sb.append('\n');
        }
        sb.append("| **mean** | ").append(classes.stream().mapToInt(ClassMetrics::images).sum()).append(" |");
        COLUMNS.forEach(c -> sb.append(" **").append(percent(mean(c))).append("** |"));
        sb.append("\n\nValues in %. PRO is the exact AUPRO@0.3 (MVTec AD definition); PRO (APRIL-GAN) is the"
                + " 200-threshold variant of APRIL-GAN / AnomalyCLIP, shown for comparison with papers using it.\n");
        if (!provenance.isEmpty()) {
            sb.append("\n");
            provenance.forEach((k, v) -> sb.append("- ").append(k).append(": ").append(v).append('\n'));
        }
        return sb.toString();
    }

    private static String number(double v) {
        return Double.isNaN(v) ? "" : Double.toString(v);
    }
}

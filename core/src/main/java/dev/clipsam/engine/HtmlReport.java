package dev.clipsam.engine;

import dev.clipsam.eval.ClassMetrics;
import dev.clipsam.eval.EvaluationReport;
import dev.clipsam.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code report.html}: one self-contained page beside a run's results (no network: styles inline, images referred
 * to by relative paths): the settings and models, the distribution of image scores with the threshold, and a
 * gallery of overlays sorted by score; for an evaluation also the paper's table and the ROC, PR and PRO curves.
 */
public final class HtmlReport {

    private static final int BINS = 20;

    private HtmlReport() {
    }

    /** The report of a prediction run, written to {@code <folder>/report.html}. */
    public static Path predictions(Path folder, String title, Map<String, String> settings, List<PredictionRow> rows,
            double threshold) throws IOException {
        StringBuilder html = start(title);
        settingsTable(html, settings);
        List<Double> scores = rows.stream().map(PredictionRow::score).toList();
        html.append("<h2>Image scores</h2>\n").append(histogram(scores, threshold));
        long above = rows.stream().filter(r -> r.score() > threshold).count();
        html.append("<p>").append(rows.size()).append(" images, ").append(above)
                .append(" with a score above the threshold ").append(fmt(threshold)).append(".</p>\n");
        html.append("<h2>Images, highest score first</h2>\n<div class=\"gallery\">\n");
        List<PredictionRow> sorted = new ArrayList<>(rows);
        sorted.sort(Comparator.comparingDouble(PredictionRow::score).reversed());
        for (PredictionRow r : sorted) {
            html.append("<figure><a href=\"").append(attr(r.overlay())).append("\"><img loading=\"lazy\" src=\"")
                    .append(attr(r.overlay())).append("\" alt=\"overlay of ").append(attr(r.name())).append("\"></a>")
                    .append("<figcaption><b>").append(fmt(r.score())).append("</b> ").append(text(r.name()))
                    .append(" &middot; ").append(r.regions()).append(" regions &middot; defect ")
                    .append(String.format(Locale.ROOT, "%.1f %%", 100 * r.defectFraction()))
                    .append("</figcaption></figure>\n");
        }
        html.append("</div>\n");
        return finish(folder, html);
    }

    /** The report of an evaluation, written to {@code <folder>/report.html}; curves are linked when present. */
    public static Path evaluation(Path folder, EvaluationReport report, String title, Map<String, String> provenance,
            List<Evaluation.ImageScoreRow> scores) throws IOException {
        StringBuilder html = start(title);
        settingsTable(html, provenance);
        html.append("<h2>Metrics (%)</h2>\n<table><tr><th>class</th><th>images</th><th>pixel AUROC</th>")
                .append("<th>F1-max</th><th>AP</th><th>PRO</th><th>image AUROC</th><th>image AP</th></tr>\n");
        for (ClassMetrics m : report.classes()) {
            html.append("<tr><td>").append(text(m.className())).append("</td><td>").append(m.images())
                    .append("</td>").append(cell(m.pixel().auroc())).append(cell(m.pixel().f1Max()))
                    .append(cell(m.pixel().ap())).append(cell(m.auproExact())).append(cell(m.image().auroc()))
                    .append(cell(m.image().ap())).append("</tr>\n");
        }
        html.append("<tr class=\"mean\"><td>mean</td><td></td>").append(cell(report.mean("pixel_auroc")))
                .append(cell(report.mean("pixel_f1_max"))).append(cell(report.mean("pixel_ap")))
                .append(cell(report.mean("pixel_aupro"))).append(cell(report.mean("image_auroc")))
                .append(cell(report.mean("image_ap"))).append("</tr>\n</table>\n");
        html.append("<h2>Curves</h2>\n<div class=\"gallery\">\n");
        for (String curve : List.of("roc.png", "pr.png", "pro.png")) {
            if (Files.exists(folder.resolve(curve))) {
                html.append("<figure><img src=\"").append(curve).append("\" alt=\"").append(curve)
                        .append("\"><figcaption>").append(curve).append("</figcaption></figure>\n");
            }
        }
        html.append("</div>\n<h2>Image scores</h2>\n")
                .append(histogram(scores.stream().map(s -> (double) s.score()).toList(), Double.NaN));
        return finish(folder, html);
    }

    private static StringBuilder start(String title) {
        return new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
                .append("<title>").append(text(title)).append("</title>\n<style>")
                .append("body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse}")
                .append("td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;overflow-wrap:anywhere}tr.mean{font-weight:bold}")
                .append(".gallery{display:flex;flex-wrap:wrap;gap:.8em}figure{margin:0;max-width:420px}")
                .append("figure img{max-width:420px;width:100%;border:1px solid #ddd}figcaption{font-size:.85em}")
                .append("</style></head><body>\n<h1>").append(text(title)).append("</h1>\n");
    }

    private static Path finish(Path folder, StringBuilder html) throws IOException {
        html.append("<p><small>written by clipsam</small></p>\n</body></html>\n");
        Path file = folder.resolve("report.html");
        AtomicFiles.writeString(file, html.toString());
        return file;
    }

    private static void settingsTable(StringBuilder html, Map<String, String> settings) {
        html.append("<h2>Settings</h2>\n<table>\n");
        settings.forEach((k, v) -> html.append("<tr><th>").append(text(k)).append("</th><td>").append(text(v))
                .append("</td></tr>\n"));
        html.append("</table>\n");
    }

    /** An inline SVG histogram of scores in [0, 1] with the threshold as a red line (none when NaN). */
    static String histogram(List<Double> scores, double threshold) {
        int[] bins = new int[BINS];
        for (double s : scores) {
            bins[Math.min(BINS - 1, Math.max(0, (int) Math.floor(s * BINS)))]++;
        }
        int max = 1;
        for (int b : bins) {
            max = Math.max(max, b);
        }
        int width = 400;
        int height = 120;
        StringBuilder svg = new StringBuilder("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width + 20)
                .append("\" height=\"").append(height + 30).append("\" role=\"img\" aria-label=\"score histogram\">");
        double bw = width / (double) BINS;
        for (int i = 0; i < BINS; i++) {
            double bh = height * bins[i] / (double) max;
            svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\""
                    + " fill=\"#4a7ab8\"><title>%.2f-%.2f: %d</title></rect>", 10 + i * bw, height - bh, bw - 1, bh,
                    i / (double) BINS, (i + 1) / (double) BINS, bins[i]));
        }
        svg.append(String.format(Locale.ROOT, "<line x1=\"10\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>",
                height, width + 10, height));
        svg.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"%d\" font-size=\"12\">0</text><text x=\"%d\""
                + " y=\"%d\" font-size=\"12\">1</text>", height + 16, width + 2, height + 16));
        if (!Double.isNaN(threshold)) {
            double x = 10 + width * Math.max(0, Math.min(1, threshold));
            svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%d\" stroke=\"#d22\""
                    + " stroke-width=\"2\"/><text x=\"%.1f\" y=\"%d\" font-size=\"12\" fill=\"#d22\">threshold %s"
                    + "</text>", x, x, height, x + 3, height + 28, fmt(threshold)));
        }
        return svg.append("</svg>\n").toString();
    }

    private static String cell(double v) {
        return "<td>" + (Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", 100 * v)) + "</td>";
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    private static String text(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static String attr(String s) {
        return text(s).replace("\"", "&quot;").replace(" ", "%20");
    }
}

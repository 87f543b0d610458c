package dev.clipsam.eval;

import dev.clipsam.image.ImageWriter;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** ROC, precision-recall and PRO curves of every class as PNG charts (JFreeChart, headless). */
public final class CurvePlots {

    private CurvePlots() {
    }

    /** Writes {@code roc.png}, {@code pr.png} and {@code pro.png} into {@code dir}. */
    public static List<Path> write(Path dir, List<ClassMetrics> classes) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<Path> written = new ArrayList<>();
        written.add(plot(dir.resolve("roc.png"), classes, Curves::roc, "Pixel ROC", "false positive rate",
                "true positive rate", 1.0));
        written.add(plot(dir.resolve("pr.png"), classes, Curves::pr, "Pixel precision-recall", "recall", "precision",
                1.0));
        written.add(plot(dir.resolve("pro.png"), classes, Curves::pro, "Per-region overlap up to FPR 0.3",
                "false positive rate", "PRO", ProMetrics.FPR_LIMIT));
        return written;
    }

    private static Path plot(Path file, List<ClassMetrics> classes, Function<Curves, List<double[]>> curve,
            String title, String xLabel, String yLabel, double xMax) throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        for (ClassMetrics m : classes) {
            XYSeries series = new XYSeries(m.className(), false, true);
            for (double[] p : curve.apply(m.curves())) {
                series.add(p[0], p[1]);
            }
            data.addSeries(series);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel, yLabel, data, PlotOrientation.VERTICAL,
                classes.size() > 1, false, false);
        XYPlot plot = chart.getXYPlot();
        plot.getDomainAxis().setRange(0, xMax);
        plot.getRangeAxis().setRange(0, 1.0);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        chart.setBackgroundPaint(Color.WHITE);
        BufferedImage image = chart.createBufferedImage(800, 600);
        ImageWriter.writePng(file, image);
        return file;
    }
}

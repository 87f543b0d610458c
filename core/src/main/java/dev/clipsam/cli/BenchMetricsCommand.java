package dev.clipsam.cli;

import dev.clipsam.eval.BinaryMetrics;
import dev.clipsam.eval.ProMetrics;
import dev.clipsam.eval.PixelScores;
import dev.clipsam.eval.RankedScores;
import dev.clipsam.nn.TorchRuntime;
import java.io.PrintWriter;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code clipsam bench metrics}: the metrics of one large class. */
@Command(name = "metrics", description = {
    "Time every metric of one class of random maps (default: 500 maps of 518 x 518, about 10%% anomalous images"
        + " with 1-3 elliptical regions): collecting, the one sort, AUROC + AP + F1-max, exact AUPRO, APRIL-GAN PRO,"
        + " image metrics; compared with the Python reference on the same machine kind"
        + " (the reference's own measurement)."})
final class BenchMetricsCommand implements Callable<Integer> {

    /**
     * Python reference seconds (sklearn AUROC, AP, PR-curve F1; APRIL-GAN PRO; MVTec exact PRO), measured on
     * {@link #REFERENCE_MAPS} maps of 518 x 518 at {@link #REFERENCE_SIZE} px.
     */
    static final double REFERENCE_SECONDS = 56.8 + 38.5 + 36.7 + 151.7 + 34.1;
    static final int REFERENCE_MAPS = 500;
    static final int REFERENCE_SIZE = 518;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Option(names = "--maps", defaultValue = "500", description = "Maps (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--size", defaultValue = "518", description = "Map side (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--anomalous", defaultValue = "0.1", description = "Share of anomalous maps (default: ${DEFAULT-VALUE}).")
    double anomalousShare;

    @Option(names = "--seed", defaultValue = "7", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        common.apply();
        PrintWriter out = spec.commandLine().getOut();
        int pixels = size * size;
        PixelScores scores = new PixelScores((long) count * pixels);
        SplittableRandom random = new SplittableRandom(seed);
        float[] map = new float[pixels];
        boolean[] mask = new boolean[pixels];
        double collect = 0;
        for (int n = 0; n < count; n++) {
            randomMap(random, map, mask, random.nextDouble() < anomalousShare);
            long t0 = System.nanoTime();
            scores.add(map, mask, size, size);
            collect += (System.nanoTime() - t0) / 1e9;
        }
        float min = scores.min();
        float max = scores.max();
        float[] imageMax = scores.imageMaxima();
        boolean[] imageLabels = scores.imageLabels();
        long t0 = System.nanoTime();
        RankedScores ranked = scores.rank();
        double sort = seconds(t0);
        t0 = System.nanoTime();
        BinaryMetrics pixel = BinaryMetrics.of(ranked);
        double binary = seconds(t0);
        t0 = System.nanoTime();
        double exact = ProMetrics.exactAupro(ranked);
        double exactTime = seconds(t0);
        t0 = System.nanoTime();
        double april = ProMetrics.aprilGan(ranked, min, max).aupro();
        double aprilTime = seconds(t0);
        t0 = System.nanoTime();
        BinaryMetrics image = BinaryMetrics.of(imageMax, imageLabels);
        double imageTime = seconds(t0);
        double total = collect + sort + binary + exactTime + aprilTime + imageTime;
        out.printf("%d maps of %d x %d (%,d pixels, %d anomalous images, %d regions); the sort uses %d threads%n",
                count, size, size, (long) count * pixels, countTrue(imageLabels), ranked.regionCount(),
                java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() + 1);
        out.printf("%-34s %8.2f s%n", "collect (labels, regions, keys)", collect);
        out.printf("%-34s %8.2f s%n", "sort", sort);
        out.printf("%-34s %8.2f s   AUROC %.4f  AP %.4f  F1-max %.4f%n", "pixel AUROC + AP + F1-max", binary,
                pixel.auroc(), pixel.ap(), pixel.f1Max());
        out.printf("%-34s %8.2f s   %.4f%n", "exact AUPRO@0.3", exactTime, exact);
        out.printf("%-34s %8.2f s   %.4f%n", "APRIL-GAN PRO (200 thresholds)", aprilTime, april);
        out.printf("%-34s %8.2f s   AUROC %.4f%n", "image metrics", imageTime, image.auroc());
        String comparison = count == REFERENCE_MAPS && size == REFERENCE_SIZE
                ? String.format("Python reference %.1f s: %.0fx faster", REFERENCE_SECONDS, REFERENCE_SECONDS / total)
                : "no comparison: the Python reference was measured on " + REFERENCE_MAPS + " maps of "
                        + REFERENCE_SIZE + " px only";
        out.printf("%-34s %8.2f s   (%s); peak RSS %s%n", "total", total, comparison,
                InspectCommand.humanBytes(TorchRuntime.peakRssBytes()));
        return 0;
    }

    /** A smooth random map; anomalous maps get 1-3 elliptical regions that score higher. */
    private void randomMap(SplittableRandom r, float[] map, boolean[] mask, boolean anomalous) {
        int g = 9;
        double[] grid = new double[g * g];
        for (int i = 0; i < grid.length; i++) {
            grid[i] = r.nextDouble();
        }
        java.util.Arrays.fill(mask, false);
        int regions = anomalous ? 1 + r.nextInt(3) : 0;
        double[][] ellipses = new double[regions][];
        for (int k = 0; k < regions; k++) {
            ellipses[k] = new double[] {r.nextDouble() * size, r.nextDouble() * size, 5 + r.nextDouble() * size / 12,
                5 + r.nextDouble() * size / 12};
        }
        for (int y = 0; y < size; y++) {
            double gy = (double) y / size * (g - 1);
            int y0 = (int) gy;
            double fy = gy - y0;
            for (int x = 0; x < size; x++) {
                double gx = (double) x / size * (g - 1);
                int x0 = (int) gx;
                double fx = gx - x0;
                double v = (grid[y0 * g + x0] * (1 - fx) + grid[y0 * g + x0 + 1] * fx) * (1 - fy)
                        + (grid[(y0 + 1) * g + x0] * (1 - fx) + grid[(y0 + 1) * g + x0 + 1] * fx) * fy;
                int i = y * size + x;
                for (double[] e : ellipses) {
                    if (Math.pow((x - e[0]) / e[2], 2) + Math.pow((y - e[1]) / e[3], 2) < 1) {
                        mask[i] = true;
                    }
                }
                map[i] = (float) (0.6 * v + (mask[i] ? 0.5 : 0) + 0.2 * r.nextDouble());
            }
        }
    }

    private static int countTrue(boolean[] b) {
        int n = 0;
        for (boolean v : b) {
            n += v ? 1 : 0;
        }
        return n;
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}

package dev.clipsam.data;

import dev.clipsam.image.Image8;
import dev.clipsam.image.ImageWriter;
import dev.clipsam.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A synthetic industrial-inspection dataset in the generic folder layout ({@link DatasetFormat#FOLDER}), for tests,
 * demos and trying the pipeline without downloading anything. Every class is a procedural surface or object
 * (fabric, brushed metal, wood, tiles, washers, pills, leather, circuit boards) with random variation; anomalous
 * images carry one or two defects (scratch, hole, stain, crack, missing piece) whose masks are exactly the pixels
 * the defect changed. Deterministic for a seed.
 */
public final class SyntheticDataset {

    /** The kinds of classes, in the order classes are made. */
    public static final List<String> KINDS = List.of("fabric", "metal_plate", "wood", "tile", "washer", "pill",
            "leather", "circuit");
    /** Defect types. */
    public static final List<String> DEFECTS = List.of("scratch", "hole", "stain", "crack", "missing");

    /** What to generate. */
    public record Spec(int classes, int normalPerClass, int anomalousPerClass, int size, long seed) {
        public Spec {
            if (classes < 1 || classes > KINDS.size() * 4) {
                throw new IllegalArgumentException("classes must be 1.." + KINDS.size() * 4);
            }
            if (normalPerClass < 0 || anomalousPerClass < 1 || size < 32) {
                throw new IllegalArgumentException("need at least one anomalous image per class and size >= 32");
            }
        }
    }

    private SyntheticDataset() {
    }

    /** The class names a spec produces ({@code fabric}, ..., then {@code fabric_2} ...). */
    public static List<String> classNames(int classes) {
        List<String> names = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            String kind = KINDS.get(c % KINDS.size());
            names.add(c < KINDS.size() ? kind : kind + "_" + (c / KINDS.size() + 1));
        }
        return names;
    }

    /** Writes the dataset under {@code out} and returns its class names. */
    public static List<String> write(Path out, Spec spec) throws IOException {
        Files.createDirectories(out);
        List<String> names = classNames(spec.classes());
        for (int c = 0; c < names.size(); c++) {
            String name = names.get(c);
            String kind = KINDS.get(c % KINDS.size());
            Path dir = out.resolve(name);
            for (int i = 0; i < spec.normalPerClass(); i++) {
                SplittableRandom r = new SplittableRandom(spec.seed() * 1_000_003L + c * 10_007L + i);
                ImageWriter.writePng(dir.resolve(Sample.GOOD).resolve(String.format("%03d.png", i)),
                        Surface.make(kind, spec.size(), r).toImage());
            }
            for (int i = 0; i < spec.anomalousPerClass(); i++) {
                SplittableRandom r = new SplittableRandom(spec.seed() * 1_000_003L + c * 10_007L + 5_000 + i);
                Surface s = Surface.make(kind, spec.size(), r);
                String defect = DEFECTS.get((i + c) % DEFECTS.size());
                boolean[] mask = new boolean[spec.size() * spec.size()];
                Defects.apply(defect, s, mask, r);
                if (r.nextDouble() < 0.25) {
                    Defects.apply(DEFECTS.get(r.nextInt(DEFECTS.size())), s, mask, r);
                }
                String stem = String.format("%03d", i);
                ImageWriter.writePng(dir.resolve(defect).resolve(stem + ".png"), s.toImage());
                ImageWriter.writeMask(dir.resolve("ground_truth").resolve(defect).resolve(stem + "_mask.png"), mask,
                        spec.size(), spec.size());
            }
        }
        AtomicFiles.writeString(out.resolve("SYNTHETIC.txt"), "Synthetic anomaly dataset written by clipsam synth\n"
                + "classes " + spec.classes() + ", normal per class " + spec.normalPerClass() + ", anomalous per class "
                + spec.anomalousPerClass() + ", size " + spec.size() + ", seed " + spec.seed() + "\n"
                + "layout: <class>/good/*.png, <class>/<defect>/*.png, <class>/ground_truth/<defect>/*_mask.png\n");
        return names;
    }

    /** An RGB float image being drawn, plus what the background looks like (for missing pieces). */
    static final class Surface {
        final int size;
        final float[][] rgb;        // [3][size*size], 0..255
        final float[][] background; // what shows where material is missing
        final boolean object;       // an object on a background (else a texture filling the frame)
        final boolean[] material;   // where the object is (all true for textures)

        Surface(int size, boolean object) {
            this.size = size;
            this.rgb = new float[3][size * size];
            this.background = new float[3][size * size];
            this.object = object;
            this.material = new boolean[size * size];
        }

        Image8 toImage() {
            byte[] d = new byte[size * size * 3];
            for (int i = 0; i < size * size; i++) {
                for (int c = 0; c < 3; c++) {
                    d[i * 3 + c] = (byte) Math.max(0, Math.min(255, Math.round(rgb[c][i])));
                }
            }
            return new Image8(size, size, 3, d);
        }

        void set(int i, float r, float g, float b) {
            rgb[0][i] = r;
            rgb[1][i] = g;
            rgb[2][i] = b;
        }

        static Surface make(String kind, int n, SplittableRandom r) {
            boolean object = kind.equals("washer") || kind.equals("pill");
            Surface s = new Surface(n, object);
            Noise noise = new Noise(r.nextLong());
            double jitter = 0.85 + 0.3 * r.nextDouble();
            double phase = r.nextDouble() * 100;
            double angle = (r.nextDouble() - 0.5) * 0.3;
            double ca = Math.cos(angle);
            double sa = Math.sin(angle);
            double cx = n / 2.0 + (r.nextDouble() - 0.5) * n * 0.08;
            double cy = n / 2.0 + (r.nextDouble() - 0.5) * n * 0.08;
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    int i = y * n + x;
                    double u = ((x - n / 2.0) * ca - (y - n / 2.0) * sa) / n + 0.5;
                    double v = ((x - n / 2.0) * sa + (y - n / 2.0) * ca) / n + 0.5;
                    double fine = noise.at(u * 40, v * 40);
                    double coarse = noise.at(u * 5 + phase, v * 5);
                    s.material[i] = true;
                    switch (kind) {
                        case "fabric" -> {
                            double weave = 0.5 + 0.25 * Math.sin(u * n * 0.9) + 0.25 * Math.sin(v * n * 0.9 + 1.3);
                            double t = 0.6 * weave + 0.25 * fine + 0.15 * coarse;
                            s.set(i, (float) (60 + 120 * t * jitter), (float) (70 + 90 * t), (float) (110 + 110 * t));
                        }
                        case "metal_plate" -> {
                            double brushed = noise.at(u * 2, v * 150 + phase);
                            double t = 0.55 + 0.3 * brushed + 0.1 * coarse;
                            float g = (float) (110 + 110 * t * jitter);
                            s.set(i, g, g, g + 6);
                        }
                        case "wood" -> {
                            double d = Math.sqrt(Math.pow(u - 0.2, 2) * 0.3 + Math.pow(v + 0.7, 2)) * 30 + 4 * coarse;
                            double rings = 0.5 + 0.5 * Math.sin(d * 2 + phase);
                            double t = 0.6 * rings + 0.25 * fine + 0.15 * coarse;
                            s.set(i, (float) (120 + 90 * t * jitter), (float) (75 + 60 * t), (float) (35 + 30 * t));
                        }
                        case "tile" -> {
                            double cells = 6 + (int) (jitter * 2);
                            double fu = (u * cells) % 1;
                            double fv = (v * cells) % 1;
                            boolean grout = fu < 0.06 || fv < 0.06;
                            double t = grout ? 0.25 + 0.1 * fine : 0.75 + 0.12 * coarse + 0.08 * fine;
                            s.set(i, (float) (200 * t), (float) (190 * t), (float) (170 * t * jitter));
                        }
                        case "leather" -> {
                            double cellsNoise = Math.abs(noise.at(u * 18 + phase, v * 18)) ;
                            double t = 0.5 + 0.3 * cellsNoise + 0.2 * fine;
                            s.set(i, (float) (90 + 70 * t * jitter), (float) (50 + 45 * t), (float) (30 + 30 * t));
                        }
                        case "circuit" -> {
                            double trace = Math.min(Math.abs(Math.sin(u * 11 + phase)), Math.abs(Math.sin(v * 9)));
                            boolean copper = trace < 0.08;
                            double t = 0.5 + 0.2 * fine + 0.2 * coarse;
                            if (copper) {
                                s.set(i, (float) (190 + 40 * t), (float) (150 + 30 * t), (float) (60 + 20 * t));
                            } else {
                                s.set(i, (float) (20 + 30 * t), (float) (90 + 60 * t * jitter), (float) (40 + 30 * t));
                            }
                        }
                        default -> {
                            // objects: background first
                            float bg = (float) (25 + 20 * coarse + 8 * fine);
                            s.set(i, bg, bg + 3, bg + 8);
                            s.material[i] = false;
                            double dx = (x - cx) / n;
                            double dy = (y - cy) / n;
                            double rr = Math.sqrt(dx * dx + dy * dy);
                            boolean inside;
                            double shade;
                            if (kind.equals("washer")) {
                                inside = rr < 0.36 * jitter && rr > 0.14;
                                shade = 0.6 + 0.4 * Math.cos((rr - 0.25) * 9) + 0.1 * fine;
                            } else {
                                double px = dx * ca - dy * sa;
                                double py = dx * sa + dy * ca;
                                double e = Math.pow(px / (0.34 * jitter), 2) + Math.pow(py / 0.17, 2);
                                inside = e < 1;
                                shade = 0.7 + 0.3 * (1 - e) + 0.08 * fine;
                            }
                            if (inside) {
                                s.material[i] = true;
                                if (kind.equals("washer")) {
                                    float g = (float) (140 + 80 * shade);
                                    s.set(i, g, g, g - 5);
                                } else {
                                    boolean half = (dx * ca - dy * sa) > 0;
                                    s.set(i, (float) ((half ? 200 : 240) * shade), (float) ((half ? 60 : 235) * shade),
                                            (float) ((half ? 50 : 225) * shade));
                                }
                            }
                        }
                    }
                    float bg = (float) (25 + 20 * coarse);
                    if (object) {
                        s.background[0][i] = bg;
                        s.background[1][i] = bg + 3;
                        s.background[2][i] = bg + 8;
                    } else {
                        s.background[0][i] = (float) (15 + 10 * fine);
                        s.background[1][i] = (float) (15 + 10 * fine);
                        s.background[2][i] = (float) (18 + 10 * fine);
                    }
                }
            }
            return s;
        }
    }

    /** The defect painters; each sets the mask exactly where it changes pixels. */
    static final class Defects {
        private Defects() {
        }

        static void apply(String type, Surface s, boolean[] mask, SplittableRandom r) {
            int n = s.size;
            int[] c = pointOnMaterial(s, r);
            switch (type) {
                case "scratch" -> {
                    boolean light = r.nextBoolean();
                    double a = r.nextDouble() * Math.PI;
                    double len = n * (0.15 + 0.3 * r.nextDouble());
                    double w = 0.8 + r.nextDouble() * 1.2;
                    polyline(s, mask, c[0], c[1], a, len, w, 0.04, r, light ? 235 : 25, 0.8);
                }
                case "crack" -> {
                    double a = r.nextDouble() * Math.PI * 2;
                    double len = n * (0.12 + 0.2 * r.nextDouble());
                    polyline(s, mask, c[0], c[1], a, len, 1.0 + r.nextDouble(), 0.45, r, 10, 0.9);
                    polyline(s, mask, c[0], c[1], a + 2.2 + r.nextDouble(), len * 0.6, 1.0, 0.45, r, 10, 0.9);
                }
                case "hole" -> {
                    double rx = n * (0.03 + 0.05 * r.nextDouble());
                    double ry = rx * (0.7 + 0.5 * r.nextDouble());
                    for (int y = 0; y < n; y++) {
                        for (int x = 0; x < n; x++) {
                            double e = Math.pow((x - c[0]) / rx, 2) + Math.pow((y - c[1]) / ry, 2);
                            if (e < 1) {
                                int i = y * n + x;
                                float dark = (float) (15 + 40 * e);
                                s.set(i, dark, dark, dark);
                                mask[i] = true;
                            }
                        }
                    }
                }
                case "stain" -> {
                    double radius = n * (0.05 + 0.07 * r.nextDouble());
                    Noise blob = new Noise(r.nextLong());
                    float[] tint = r.nextBoolean() ? new float[] {120, 70, 20} : new float[] {40, 60, 160};
                    for (int y = 0; y < n; y++) {
                        for (int x = 0; x < n; x++) {
                            double d = Math.hypot(x - c[0], y - c[1]) / radius;
                            if (d + 0.35 * blob.at(x / 9.0, y / 9.0) < 1) {
                                int i = y * n + x;
                                for (int ch = 0; ch < 3; ch++) {
                                    s.rgb[ch][i] = 0.35f * s.rgb[ch][i] + 0.65f * tint[ch];
                                }
                                mask[i] = true;
                            }
                        }
                    }
                }
                case "missing" -> {
                    // A piece breaks out: for objects a wedge at the rim, for textures a torn patch showing what is
                    // underneath.
                    int[] p = s.object ? pointOnRim(s, r) : c;
                    double radius = n * (0.05 + 0.07 * r.nextDouble());
                    double a = r.nextDouble() * Math.PI;
                    for (int y = 0; y < n; y++) {
                        for (int x = 0; x < n; x++) {
                            int i = y * n + x;
                            double dx = x - p[0];
                            double dy = y - p[1];
                            double along = dx * Math.cos(a) + dy * Math.sin(a);
                            double across = -dx * Math.sin(a) + dy * Math.cos(a);
                            boolean inPiece = Math.pow(along / radius, 2) + Math.pow(across / (radius * 0.6), 2) < 1;
                            if (inPiece && s.material[i]) {
                                for (int ch = 0; ch < 3; ch++) {
                                    s.rgb[ch][i] = s.background[ch][i];
                                }
                                mask[i] = true;
                            }
                        }
                    }
                }
                default -> throw new IllegalArgumentException(type);
            }
        }

        private static void polyline(Surface s, boolean[] mask, double x, double y, double angle, double length,
                double width, double wobble, SplittableRandom r, float value, double strength) {
            int n = s.size;
            double a = angle;
            for (double t = 0; t < length; t += 0.5) {
                a += (r.nextDouble() - 0.5) * wobble;
                x += 0.5 * Math.cos(a);
                y += 0.5 * Math.sin(a);
                int x0 = (int) Math.floor(x - width);
                int y0 = (int) Math.floor(y - width);
                for (int yy = y0; yy <= y + width; yy++) {
                    for (int xx = x0; xx <= x + width; xx++) {
                        if (xx < 0 || yy < 0 || xx >= n || yy >= n || Math.hypot(xx - x, yy - y) > width / 2 + 0.3) {
                            continue;
                        }
                        int i = yy * n + xx;
                        if (!s.material[i] || mask[i]) {
                            continue;
                        }
                        for (int ch = 0; ch < 3; ch++) {
                            s.rgb[ch][i] = (float) ((1 - strength) * s.rgb[ch][i] + strength * value);
                        }
                        mask[i] = true;
                    }
                }
            }
        }

        private static int[] pointOnMaterial(Surface s, SplittableRandom r) {
            int n = s.size;
            for (int tries = 0; tries < 10_000; tries++) {
                int x = (int) (n * (0.15 + 0.7 * r.nextDouble()));
                int y = (int) (n * (0.15 + 0.7 * r.nextDouble()));
                if (s.material[y * n + x]) {
                    return new int[] {x, y};
                }
            }
            return new int[] {n / 2, n / 2};
        }

        private static int[] pointOnRim(Surface s, SplittableRandom r) {
            int n = s.size;
            for (int tries = 0; tries < 100_000; tries++) {
                int x = 1 + r.nextInt(n - 2);
                int y = 1 + r.nextInt(n - 2);
                int i = y * n + x;
                if (s.material[i] && (!s.material[i - 1] || !s.material[i + 1] || !s.material[i - n]
                        || !s.material[i + n])) {
                    return new int[] {x, y};
                }
            }
            return pointOnMaterial(s, r);
        }
    }

    /** Smooth value noise in [-1, 1] (lattice values, smoothstep interpolation, 3 octaves). */
    static final class Noise {
        private final int[] perm = new int[512];
        private final double[] values = new double[256];

        Noise(long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            for (int i = 0; i < 256; i++) {
                perm[i] = i;
                values[i] = r.nextDouble() * 2 - 1;
            }
            for (int i = 255; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            System.arraycopy(perm, 0, perm, 256, 256);
        }

        double at(double x, double y) {
            double sum = 0;
            double amp = 0.6;
            double freq = 1;
            for (int o = 0; o < 3; o++) {
                sum += amp * single(x * freq, y * freq);
                amp *= 0.5;
                freq *= 2.1;
            }
            return sum / 1.05;
        }

        private double single(double x, double y) {
            int xi = (int) Math.floor(x);
            int yi = (int) Math.floor(y);
            double fx = x - xi;
            double fy = y - yi;
            double sx = fx * fx * (3 - 2 * fx);
            double sy = fy * fy * (3 - 2 * fy);
            double a = lattice(xi, yi);
            double b = lattice(xi + 1, yi);
            double c = lattice(xi, yi + 1);
            double d = lattice(xi + 1, yi + 1);
            return (a + (b - a) * sx) + ((c + (d - c) * sx) - (a + (b - a) * sx)) * sy;
        }

        private double lattice(int x, int y) {
            return values[perm[(perm[x & 255] + y) & 255]];
        }
    }
}

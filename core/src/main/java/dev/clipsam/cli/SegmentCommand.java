package dev.clipsam.cli;

import dev.clipsam.image.Image8;
import dev.clipsam.image.ImageFiles;
import dev.clipsam.image.ImageWriter;
import dev.clipsam.image.Overlay;
import dev.clipsam.nn.Precision;
import dev.clipsam.nn.Tensors;
import dev.clipsam.sam.SamModel;
import dev.clipsam.sam.SamPrediction;
import dev.clipsam.sam.SamPredictor;
import dev.clipsam.sam.SamPrompt;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.bytedeco.javacpp.PointerScope;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** {@code clipsam segment}: Segment Anything on one image with point and box prompts. */
@Command(name = "segment", description = {
    "Segment an object with Segment Anything from point and/or box prompts (coordinates in image pixels).",
    "Writes <image>_mask.png (the best of SAM's three masks by predicted IoU, or all three with --all) and"
        + " <image>_overlay.png, and prints every mask's score."})
final class SegmentCommand implements Callable<Integer> {

    /** A point prompt. */
    record Point(double x, double y, int label) {
    }

    /** A box prompt. */
    record Box(double x0, double y0, double x1, double y1) {
        double[] toArray() {
            return new double[] {x0, y0, x1, y1};
        }
    }

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Option(names = "--sam", required = true, paramLabel = "CKPT",
            description = "SAM checkpoint (sam_vit_h_4b8939.pth, sam_vit_l_0b3195.pth or sam_vit_b_01ec64.pth).")
    Path checkpoint;

    @Option(names = "--image", required = true, paramLabel = "FILE", description = "The image (PNG, JPEG, BMP, TIFF).")
    Path imageFile;

    @Option(names = "--box", paramLabel = "X0,Y0,X1,Y1", converter = BoxConverter.class,
            description = "Box prompt: left, top, right, bottom in pixels.")
    Box box;

    @Option(names = "--point", paramLabel = "X,Y[,LABEL]", converter = PointConverter.class,
            description = "Point prompt (repeatable); label 1 = object (default), 0 = background.")
    List<Point> points = new ArrayList<>();

    @Option(names = "--all", description = "Write all three masks (_mask_1.png .. _mask_3.png), not only the best.")
    boolean all;

    @Option(names = "--single", description = "Ask SAM for one mask instead of three (multimask off).")
    boolean single;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = ".", description = "Output folder (default: current).")
    Path out;

    @Option(names = "--overwrite", description = "Replace output files that exist.")
    boolean overwrite;

    @Option(names = "--precision", paramLabel = "P", defaultValue = "fp32",
            description = "Image-encoder precision: fp32 (reference), bf16 or int8 (faster where the CPU has the"
                    + " units).")
    Precision precision;

    @Override
    public Integer call() throws IOException {
        common.apply();
        if (box == null && points.isEmpty()) {
            throw new UserInputException("give at least one prompt: --box and/or --point");
        }
        Image8 image = ImageFiles.read(imageFile);
        SamPrompt prompt = prompt();
        try {
            prompt.validate(image.height(), image.width());
        } catch (IllegalArgumentException e) {
            throw new UserInputException(imageFile + ": " + e.getMessage());
        }
        String stem = stem(imageFile);
        List<Path> targets = new ArrayList<>();
        int masks = single ? 1 : 3;
        if (all && !single) {
            for (int i = 1; i <= masks; i++) {
                targets.add(out.resolve(stem + "_mask_" + i + ".png"));
            }
        } else {
            targets.add(out.resolve(stem + "_mask.png"));
        }
        targets.add(out.resolve(stem + "_overlay.png"));
        if (!overwrite) {
            for (Path t : targets) {
                if (Files.exists(t)) {
                    throw new UserInputException(t + ": exists; use --overwrite to replace it");
                }
            }
        }
        PrintWriter console = spec.commandLine().getOut();
        try (SamModel model = SamModel.load(checkpoint, precision); SamPredictor predictor = new SamPredictor(model);
                PointerScope scope = new PointerScope()) {
            long t0 = System.nanoTime();
            predictor.setImage(image);
            double encode = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            SamPrediction p = predictor.predict(prompt, !single);
            double decode = (System.nanoTime() - t0) / 1e9;
            float[] scores = Tensors.toFloats(p.scores());
            float[] logits = Tensors.toFloats(p.logits());
            int best = 0;
            for (int i = 1; i < scores.length; i++) {
                if (scores[i] > scores[best]) {
                    best = i;
                }
            }
            int w = image.width();
            int h = image.height();
            console.printf("%-9s %s (%d x %d), SAM %s, encoder %.2f s, decoder %.0f ms%n", "image", imageFile, w, h,
                    model.config().name(), encode, decode * 1000);
            List<boolean[]> binary = new ArrayList<>();
            for (int m = 0; m < scores.length; m++) {
                boolean[] mask = new boolean[w * h];
                int area = 0;
                for (int i = 0; i < mask.length; i++) {
                    mask[i] = logits[m * w * h + i] > 0f;
                    area += mask[i] ? 1 : 0;
                }
                binary.add(mask);
                console.printf("%-9s score %.4f, area %d px%s%n", "mask " + (m + 1), scores[m], area,
                        m == best ? " (best)" : "");
            }
            Files.createDirectories(out);
            if (all && !single) {
                for (int m = 0; m < binary.size(); m++) {
                    ImageWriter.writeMask(targets.get(m), binary.get(m), w, h);
                }
            } else {
                ImageWriter.writeMask(targets.get(0), binary.get(best), w, h);
            }
            Overlay overlay = new Overlay(image).mask(binary.get(best), Overlay.MASK, 0.45);
            if (box != null) {
                overlay.box(box.x0(), box.y0(), box.x1(), box.y1());
            }
            points.forEach(pt -> overlay.point(pt.x(), pt.y(), pt.label() == 1));
            ImageWriter.writePng(targets.get(targets.size() - 1), overlay.image());
            console.printf("%-9s %s%n", "wrote", String.join(", ", targets.stream().map(Path::toString).toList()));
        }
        return 0;
    }

    private SamPrompt prompt() {
        double[] xy = null;
        int[] labels = null;
        if (!points.isEmpty()) {
            xy = new double[points.size() * 2];
            labels = new int[points.size()];
            for (int i = 0; i < points.size(); i++) {
                xy[2 * i] = points.get(i).x();
                xy[2 * i + 1] = points.get(i).y();
                labels[i] = points.get(i).label();
            }
        }
        return new SamPrompt(xy, labels, box == null ? null : box.toArray(), null);
    }

    static String stem(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    static double[] numbers(String text, String what) {
        try {
            return Arrays.stream(text.split(",")).map(String::trim).mapToDouble(Double::parseDouble).toArray();
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + text + "' is not " + what);
        }
    }

    static final class BoxConverter implements ITypeConverter<Box> {
        @Override
        public Box convert(String value) {
            double[] v = numbers(value, "a box X0,Y0,X1,Y1");
            if (v.length != 4) {
                throw new TypeConversionException("'" + value + "' is not a box X0,Y0,X1,Y1");
            }
            return new Box(v[0], v[1], v[2], v[3]);
        }
    }

    static final class PointConverter implements ITypeConverter<Point> {
        @Override
        public Point convert(String value) {
            double[] v = numbers(value, "a point X,Y[,LABEL]");
            if (v.length != 2 && v.length != 3) {
                throw new TypeConversionException("'" + value + "' is not a point X,Y[,LABEL]");
            }
            if (v.length == 3 && v[2] != 0 && v[2] != 1) {
                throw new TypeConversionException("point label in '" + value + "' must be 1 (object) or 0"
                        + " (background)");
            }
            return new Point(v[0], v[1], v.length == 3 ? (int) v[2] : 1);
        }
    }
}

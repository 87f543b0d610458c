package dev.clipsam.data;

import dev.clipsam.image.ImageFiles;
import dev.clipsam.image.ImageReadException;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

/** Reads and checks each {@link DatasetFormat} (layouts in that enum's documentation). */
final class DatasetScanner {

    /** Class names of the single-class datasets (used in the text prompts). */
    static final String MTD_CLASS = "magnetic_tile";
    static final String KSDD2_CLASS = "electrical_commutator";

    private final Path root;
    private final Map<String, List<Sample>> classes = new TreeMap<>();
    private final List<String> problems = new ArrayList<>();

    private DatasetScanner(Path root) {
        this.root = root;
    }

    static Dataset scan(DatasetFormat format, Path root) {
        if (!Files.isDirectory(root)) {
            throw new DatasetException(root + ": " + (Files.exists(root) ? "is not a folder" : "folder not found"));
        }
        DatasetScanner s = new DatasetScanner(root);
        switch (format) {
            case MVTEC -> s.mvtec();
            case VISA -> s.visa();
            case MTD -> s.mtd();
            case KSDD2 -> s.ksdd2();
            case FOLDER -> s.folder();
            default -> throw new IllegalStateException(format.toString());
        }
        if (s.classes.isEmpty()) {
            throw new DatasetException(root + ": no " + format.id() + " dataset found (" + expectation(format) + ")");
        }
        s.classes.forEach((name, samples) -> {
            if (samples.isEmpty()) {
                s.problems.add(root.resolve(name) + ": class has no images");
            }
        });
        s.checkSizes();
        return new Dataset(format, root, new LinkedHashMap<>(s.classes), s.problems);
    }

    private static String expectation(DatasetFormat format) {
        return switch (format) {
            case MVTEC -> "expected <class>/test/<defect>/*.png";
            case VISA -> "expected split_csv/1cls.csv";
            case MTD -> "expected MT_<defect>/Imgs/*.jpg";
            case KSDD2 -> "expected test/<n>.png with <n>_GT.png";
            case FOLDER -> "expected <class>/good/ and <class>/<defect>/ image folders";
        };
    }

    /** MVTec AD: classes are folders with a test/ subfolder. */
    private void mvtec() {
        for (Path classDir : dirs(root)) {
            Path test = classDir.resolve("test");
            if (!Files.isDirectory(test)) {
                continue;
            }
            String name = classDir.getFileName().toString();
            List<Sample> samples = classes.computeIfAbsent(name, k -> new ArrayList<>());
            Path gt = classDir.resolve("ground_truth");
            for (Path defectDir : dirs(test)) {
                String defect = defectDir.getFileName().toString();
                addDefectFolder(samples, name, defectDir, defect, gt.resolve(defect), "_mask");
            }
            orphanMasks(gt, samples, "_mask");
        }
    }

    /** Generic folder: like MVTec without the test/ level; masks named <stem>_mask.* or <stem>.*. */
    private void folder() {
        for (Path classDir : dirs(root)) {
            String name = classDir.getFileName().toString();
            List<Path> defectDirs = dirs(classDir).stream()
                    .filter(d -> !d.getFileName().toString().equals("ground_truth")).toList();
            if (defectDirs.isEmpty()) {
                continue;
            }
            List<Sample> samples = classes.computeIfAbsent(name, k -> new ArrayList<>());
            Path gt = classDir.resolve("ground_truth");
            for (Path defectDir : defectDirs) {
                String defect = defectDir.getFileName().toString();
                addDefectFolder(samples, name, defectDir, defect, gt.resolve(defect), "_mask", "");
            }
            orphanMasks(gt, samples, "_mask", "");
        }
    }

    private void addDefectFolder(List<Sample> samples, String className, Path dir, String defect, Path maskDir,
            String... maskSuffixes) {
        boolean good = defect.equals(Sample.GOOD);
        for (Path image : images(dir)) {
            if (good) {
                samples.add(new Sample(className, image, null, false, Sample.GOOD));
                continue;
            }
            Path mask = findMask(maskDir, stem(image), maskSuffixes);
            if (mask == null) {
                problems.add(image + ": anomalous image without a mask (looked in " + maskDir + ")");
            }
            samples.add(new Sample(className, image, mask, true, defect));
        }
    }

    private static Path findMask(Path maskDir, String stem, String... suffixes) {
        if (!Files.isDirectory(maskDir)) {
            return null;
        }
        for (String suffix : suffixes) {
            for (String ext : List.of("png", "bmp", "tif", "tiff", "jpg")) {
                Path p = maskDir.resolve(stem + suffix + "." + ext);
                if (Files.isRegularFile(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    /** Masks under ground_truth/ that no image claims. */
    private void orphanMasks(Path gt, List<Sample> samples, String... suffixes) {
        if (!Files.isDirectory(gt)) {
            return;
        }
        Set<Path> used = new HashSet<>();
        samples.forEach(s -> {
            if (s.mask() != null) {
                used.add(s.mask().toAbsolutePath().normalize());
            }
        });
        for (Path defectDir : dirs(gt)) {
            for (Path mask : images(defectDir)) {
                if (!used.contains(mask.toAbsolutePath().normalize())) {
                    problems.add(mask + ": mask for an image that does not exist");
                }
            }
        }
    }

    /** VisA: the test rows of split_csv/1cls.csv. */
    private void visa() {
        Path csv = root.resolve("split_csv").resolve("1cls.csv");
        if (!Files.isRegularFile(csv)) {
            return;
        }
        try (Reader in = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            for (CSVRecord row : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(in)) {
                if (!row.get("split").trim().equals("test")) {
                    continue;
                }
                String name = row.get("object").trim();
                boolean anomalous = row.get("label").trim().equalsIgnoreCase("anomaly");
                Path image = root.resolve(row.get("image").trim());
                String maskName = row.isMapped("mask") ? row.get("mask").trim() : "";
                Path mask = maskName.isEmpty() ? null : root.resolve(maskName);
                List<Sample> samples = classes.computeIfAbsent(name, k -> new ArrayList<>());
                if (!Files.isRegularFile(image)) {
                    problems.add(image + ": listed in " + csv + " but missing");
                    continue;
                }
                if (anomalous && (mask == null || !Files.isRegularFile(mask))) {
                    problems.add(image + ": anomalous image without a mask" + (mask == null ? "" : " (" + mask
                            + " missing)"));
                    mask = null;
                }
                samples.add(new Sample(name, image, anomalous ? mask : null, anomalous,
                        anomalous ? "anomaly" : Sample.GOOD));
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new DatasetException(csv + ": cannot be read as the VisA split file (" + e.getMessage() + ")");
        }
    }

    /** MTD: one class; MT_Free is normal; masks are the .png beside each .jpg. */
    private void mtd() {
        for (Path defectDir : dirs(root)) {
            String folder = defectDir.getFileName().toString();
            if (!folder.startsWith("MT_")) {
                continue;
            }
            Path imgs = defectDir.resolve("Imgs");
            if (!Files.isDirectory(imgs)) {
                problems.add(defectDir + ": has no Imgs/ folder");
                continue;
            }
            String defect = folder.substring(3).toLowerCase(Locale.ROOT);
            boolean good = defect.equals("free");
            List<Sample> samples = classes.computeIfAbsent(MTD_CLASS, k -> new ArrayList<>());
            for (Path image : images(imgs)) {
                String ext = extension(image);
                if (ext.equals("png")) {
                    continue; // masks
                }
                Path mask = imgs.resolve(stem(image) + ".png");
                boolean hasMask = Files.isRegularFile(mask);
                if (!good && !hasMask) {
                    problems.add(image + ": anomalous image without a mask (" + mask + ")");
                }
                samples.add(new Sample(MTD_CLASS, image, good || !hasMask ? null : mask, !good,
                        good ? Sample.GOOD : defect));
            }
        }
    }

    /** KSDD2: the test split; an image is anomalous when its _GT mask has any defect pixel. */
    private void ksdd2() {
        Path split = Files.isDirectory(root.resolve("test")) ? root.resolve("test") : root;
        for (Path image : images(split)) {
            String stem = stem(image);
            if (stem.endsWith("_GT")) {
                continue;
            }
            Path mask = split.resolve(stem + "_GT.png");
            List<Sample> samples = classes.computeIfAbsent(KSDD2_CLASS, k -> new ArrayList<>());
            if (!Files.isRegularFile(mask)) {
                problems.add(image + ": no mask " + mask.getFileName());
                continue;
            }
            boolean anomalous;
            try {
                anomalous = MaskFiles.anyDefect(mask);
            } catch (ImageReadException e) {
                problems.add(e.getMessage());
                continue;
            }
            samples.add(new Sample(KSDD2_CLASS, image, anomalous ? mask : null, anomalous,
                    anomalous ? "defect" : Sample.GOOD));
        }
    }

    /** The normal images of a class's training split (MVTec AD {@code train/good}, VisA train rows), sorted. */
    static List<Path> trainNormals(Dataset data, String className) {
        Path root = data.root();
        if (data.format() == DatasetFormat.MVTEC) {
            Path good = root.resolve(className).resolve("train").resolve("good");
            return Files.isDirectory(good) ? images(good) : List.of();
        }
        if (data.format() == DatasetFormat.VISA) {
            List<Path> out = new ArrayList<>();
            Path csv = root.resolve("split_csv").resolve("1cls.csv");
            try (Reader in = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
                for (CSVRecord row : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get()
                        .parse(in)) {
                    if (row.get("split").trim().equals("train") && row.get("object").trim().equals(className)
                            && !row.get("label").trim().equalsIgnoreCase("anomaly")) {
                        out.add(root.resolve(row.get("image").trim()));
                    }
                }
            } catch (IOException | IllegalArgumentException e) {
                throw new DatasetException(csv + ": cannot be read as the VisA split file (" + e.getMessage() + ")");
            }
            return out;
        }
        return List.of();
    }

    /** Every image must be readable, and its mask the image's size. */
    private void checkSizes() {
        for (List<Sample> samples : classes.values()) {
            for (Sample s : samples) {
                int[] size;
                try {
                    size = ImageFiles.size(s.image());
                } catch (ImageReadException e) {
                    problems.add(e.getMessage());
                    continue;
                }
                if (s.mask() == null) {
                    continue;
                }
                try {
                    int[] m = ImageFiles.size(s.mask());
                    if (m[0] != size[0] || m[1] != size[1]) {
                        problems.add(s.mask() + ": mask is " + m[0] + "x" + m[1] + " but its image " + s.image()
                                .getFileName() + " is " + size[0] + "x" + size[1]);
                    } else if (ImageFiles.colourBands(s.mask()) >= 3) {
                        String why = MaskFiles.notAMask(s.mask());
                        if (why != null) {
                            problems.add(s.mask() + ": " + why);
                        }
                    }
                } catch (ImageReadException e) {
                    problems.add(e.getMessage());
                }
            }
        }
    }

    static List<Path> dirs(Path dir) {
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Path> images(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(Files::isRegularFile).filter(dev.clipsam.image.ImageFiles::hasImageExtension)
                    .filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String extension(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? n : n.substring(0, dot);
    }

}

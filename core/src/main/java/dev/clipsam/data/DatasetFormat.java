package dev.clipsam.data;

import java.nio.file.Path;
import java.util.Locale;

/** The dataset layouts clipsam reads. */
public enum DatasetFormat {
    /** MVTec AD: {@code <class>/test/<defect>/*.png}, masks {@code <class>/ground_truth/<defect>/<stem>_mask.png}. */
    MVTEC,
    /** VisA: {@code split_csv/1cls.csv} (object, split, label, image, mask) and the files it names; test split. */
    VISA,
    /** Magnetic Tile Defect: {@code MT_<defect>/Imgs/*.jpg} with {@code *.png} masks beside; {@code MT_Free} normal. */
    MTD,
    /** KolektorSDD2: {@code <split>/<n>.png} with {@code <n>_GT.png}; an image is anomalous when its mask is. */
    KSDD2,
    /** Generic: {@code <class>/good/*}, {@code <class>/<defect>/*}, masks {@code <class>/ground_truth/<defect>/}. */
    FOLDER;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Reads the layout under {@code root}. */
    public Dataset scan(Path root) {
        return DatasetScanner.scan(this, root);
    }
}

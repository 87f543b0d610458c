package dev.clipsam.data;

import java.nio.file.Path;

/**
 * One image of a dataset with its ground truth.
 *
 * @param className  object class (the prompt's class name, e.g. {@code bottle})
 * @param image      the image file
 * @param mask       its defect mask (white = defect), or null for a normal image or when the dataset has none
 * @param anomalous  whether the image shows a defect
 * @param defectType e.g. {@code broken_large}; {@code good} for normal images
 */
public record Sample(String className, Path image, Path mask, boolean anomalous, String defectType) {

    public static final String GOOD = "good";
}

/**
 * Datasets with ground truth (docs/DESIGN.md §6): the MVTec AD, VisA, MTD, KSDD2 and generic folder layouts
 * ({@link dev.clipsam.data.DatasetFormat}) scanned into {@link dev.clipsam.data.Sample}s with their problems listed,
 * mask reading, and {@link dev.clipsam.data.SyntheticDataset}, a generator of small defect datasets for trying
 * clipsam without downloads.
 */
package dev.clipsam.data;

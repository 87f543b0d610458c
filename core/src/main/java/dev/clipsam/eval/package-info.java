/**
 * Anomaly-segmentation metrics (docs/DESIGN.md §6), exact to scikit-learn and the MVTec evaluation code: pixel and
 * image AUROC, AP, F1-max ({@link dev.clipsam.eval.BinaryMetrics}), AUPRO ({@link dev.clipsam.eval.ProMetrics}),
 * collected per class ({@link dev.clipsam.eval.ClassAccumulator}) into {@link dev.clipsam.eval.ClassMetrics}, and
 * the paper-shaped {@link dev.clipsam.eval.EvaluationReport} with its curves.
 */
package dev.clipsam.eval;

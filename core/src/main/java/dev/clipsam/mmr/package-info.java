/**
 * Multi-level Mask Refinement, ClipSAM's second stage (paper §3.3, docs/DESIGN.md §5): prompts from the rough map
 * ({@link dev.clipsam.mmr.PromptExtractor}), SAM behind {@link dev.clipsam.mmr.Segmenter}, the fusion of Eq. 9
 * ({@link dev.clipsam.mmr.MaskFusion}) and the image score ({@link dev.clipsam.mmr.ImageScore}).
 */
package dev.clipsam.mmr;

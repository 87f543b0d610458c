/**
 * Segment Anything, a port of {@code segment_anything/modeling} with one class per block
 * ({@link dev.clipsam.sam.ImageEncoderViT}, {@link dev.clipsam.sam.PromptEncoder}, {@link dev.clipsam.sam.MaskDecoder},
 * {@link dev.clipsam.sam.TwoWayTransformer}), the stateful {@link dev.clipsam.sam.SamPredictor} (an image is set
 * once, prompts are answered many times) and its geometry ({@link dev.clipsam.sam.ResizeLongestSide}).
 */
package dev.clipsam.sam;

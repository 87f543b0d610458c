/**
 * The frozen CLIP of ClipSAM's first stage (paper §3.2, docs/DESIGN.md §2), a port of OpenAI's {@code clip/model.py}:
 * {@link dev.clipsam.clip.ClipTokenizer}, {@link dev.clipsam.clip.ClipPreprocess},
 * {@link dev.clipsam.clip.VisionTransformer}, {@link dev.clipsam.clip.TextTransformer},
 * {@link dev.clipsam.clip.ClipModel} and the WinCLIP/APRIL-GAN {@link dev.clipsam.clip.PromptEnsemble}.
 */
package dev.clipsam.clip;

/**
 * ClipSAM as a library: {@link dev.clipsam.engine.ClipSam} opens CLIP, SAM and a trained head from
 * {@link dev.clipsam.engine.EngineOptions} and predicts images; {@link dev.clipsam.engine.Evaluation} runs a dataset
 * through it into per-class metrics; {@link dev.clipsam.engine.MapStore} owns the layout of saved maps and
 * resuming; {@link dev.clipsam.engine.PredictionWriter} writes masks, overlays and result rows. The CLI, the
 * service and batch jobs call these and add only argument handling and presentation.
 */
package dev.clipsam.engine;

/**
 * The plumbing between the networks: CLIP's stage tokens and text features at the head's size
 * ({@link dev.clipsam.pipeline.ClipStages}), their disk caches, map resizing, and the head's training loop
 * ({@link dev.clipsam.pipeline.Training}, docs/DESIGN.md §4).
 */
package dev.clipsam.pipeline;

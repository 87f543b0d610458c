/**
 * The anomaly head, the only trained part of ClipSAM (paper §3.2, docs/DESIGN.md §3-4): {@link dev.clipsam.umci.Umci}
 * per stage with its {@link dev.clipsam.umci.StripPath} and {@link dev.clipsam.umci.ScalePath}, the ablation heads,
 * the loss and AdamW, and the head file with its {@link dev.clipsam.umci.HeadDescription}.
 */
package dev.clipsam.umci;

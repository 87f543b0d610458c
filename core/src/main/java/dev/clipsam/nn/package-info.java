/**
 * Small building blocks over libtorch shared by the networks ({@code Linear}, {@code LayerNorm}, {@code Conv2d},
 * attention, activations), precision, native-memory scopes and engine settings.
 */
package dev.clipsam.nn;

/** The {@code clipsam} command line (picocli): one class per command. */
package dev.clipsam.cli;

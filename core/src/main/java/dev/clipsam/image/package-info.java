/** Image decoding without colour management, and Pillow-exact resampling. */
package dev.clipsam.image;

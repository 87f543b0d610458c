package dev.clipsam.testing;

import dev.clipsam.image.Image8;
import dev.clipsam.io.Npy;

/** Fixture images stored as uint8 {@code .npy}: {@code [H, W]} grey or {@code [H, W, C]}. */
public final class Images {

    private Images() {
    }

    public static Image8 fromNpy(Npy array) {
        long[] s = array.shape();
        int channels = s.length == 2 ? 1 : (int) s[2];
        return new Image8((int) s[1], (int) s[0], channels, array.bytes());
    }
}

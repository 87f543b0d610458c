package dev.clipsam.umci;

import java.util.Locale;

/** The anomaly heads of paper Table 2: UMCI and its ablations. */
public enum HeadType {
    /** Strip path and scale path (paper §3.2). */
    UMCI(true, true),
    /** Strip path only (Table 2, "w/o scale path"). */
    STRIP(true, false),
    /** Scale path only (Table 2, "w/o strip path"). */
    SCALE(false, true),
    /** No UMCI: APRIL-GAN's linear projection and cosine with the text features. */
    LINEAR(false, false);

    private final boolean strip;
    private final boolean scale;

    HeadType(boolean strip, boolean scale) {
        this.strip = strip;
        this.scale = scale;
    }

    public boolean strip() {
        return strip;
    }

    public boolean scale() {
        return scale;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}

package dev.clipsam.mmr;

import java.util.Locale;

/** How MMR picks the point prompts that go with each box (docs/DESIGN.md §5). */
public enum PointMode {
    /** m points sampled inside each kept region, given to that region's box only (the default). */
    PER_REGION,
    /** One set of m points sampled from all kept regions, given to every box (the paper's §3.3, literally). */
    PAPER;

    /** {@code per-region} or {@code paper}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static PointMode parse(String id) {
        for (PointMode m : values()) {
            if (m.id().equals(id)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown point mode '" + id + "' (per-region or paper)");
    }
}

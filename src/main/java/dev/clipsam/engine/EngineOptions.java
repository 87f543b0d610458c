package dev.clipsam.engine;

import dev.clipsam.mmr.MmrConfig;
import dev.clipsam.nn.Precision;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Everything {@link ClipSam#open} needs, validated when built, before any file is opened.
 *
 * @param head       the trained head (.safetensors from {@code clipsam train}); required
 * @param clip       the CLIP checkpoint, or null for {@code ViT-L-14-336px.pt} in {@link Locations#home()}
 * @param sam        the SAM checkpoint, or null for {@code sam_vit_h_4b8939.pth} there
 * @param useSam     false for the rough map only (the paper's "w/o MMR"); then no SAM is loaded
 * @param precision  CLIP and SAM towers in fp32 (the reference) or bf16
 * @param mmr        MMR settings
 * @param threshold  the mask threshold on the final map, or null for the head's own (F1-optimal on its training
 *                   data)
 */
public record EngineOptions(Path head, Path clip, Path sam, boolean useSam, Precision precision, MmrConfig mmr,
        Double threshold) {

    public EngineOptions {
        Objects.requireNonNull(head, "head");
        Objects.requireNonNull(precision, "precision");
        Objects.requireNonNull(mmr, "mmr");
        if (threshold != null && !(threshold >= 0 && threshold <= 1)) {
            throw new IllegalArgumentException("threshold " + threshold + " is not a number in [0, 1]");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder with the defaults: SAM on, fp32, the paper's MMR settings, the head's threshold. */
    public static final class Builder {
        private Path head;
        private Path clip;
        private Path sam;
        private boolean useSam = true;
        private Precision precision = Precision.FP32;
        private MmrConfig mmr = MmrConfig.DEFAULT;
        private Double threshold;

        private Builder() {
        }

        public Builder head(Path head) {
            this.head = head;
            return this;
        }

        public Builder clip(Path clip) {
            this.clip = clip;
            return this;
        }

        public Builder sam(Path sam) {
            this.sam = sam;
            return this;
        }

        public Builder useSam(boolean useSam) {
            this.useSam = useSam;
            return this;
        }

        public Builder precision(Precision precision) {
            this.precision = precision;
            return this;
        }

        public Builder mmr(MmrConfig mmr) {
            this.mmr = mmr;
            return this;
        }

        public Builder threshold(Double threshold) {
            this.threshold = threshold;
            return this;
        }

        /** The options; an invalid one is an {@link IllegalArgumentException} naming it. */
        public EngineOptions build() {
            if (head == null) {
                throw new IllegalArgumentException("a head is required (EngineOptions.builder().head(path))");
            }
            return new EngineOptions(head, clip, sam, useSam, precision, mmr, threshold);
        }
    }
}

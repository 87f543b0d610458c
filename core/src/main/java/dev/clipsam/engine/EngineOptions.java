package dev.clipsam.engine;

import dev.clipsam.fewshot.ReferenceMemory;
import dev.clipsam.mmr.MmrConfig;
import dev.clipsam.nn.Precision;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Everything {@link ClipSam#open} needs, validated when built, before any file is opened.
 *
 * @param head       the trained head (.safetensors from {@code clipsam train}), or null for the training-free mode
 * @param clip       the CLIP checkpoint, or null for {@code ViT-L-14-336px.pt} in {@link Locations#home()}
 * @param sam        the SAM checkpoint, or null for {@code sam_vit_h_4b8939.pth} there
 * @param useSam     false for the rough map only (the paper's "w/o MMR"); then no SAM is loaded
 * @param precision  CLIP and SAM towers in fp32 (the reference) or bf16
 * @param mmr        MMR settings
 * @param threshold  the mask threshold on the final map, or null for the head's own (F1-optimal on its training
 *                   data), 0.5 without a head (where the calibrated references put a good part's worst pixel)
 * @param refs       images of good parts (files or folders), or empty: their few-shot map is averaged with the
 *                   head's rough map, or is the rough map without a head (docs/DESIGN.md §8)
 * @param imageSize  the CLIP input size without a head (a head fixes its own)
 * @param stages     the CLIP blocks read without a head
 * @param combine    how the references' stage maps combine (mean; sum is APRIL-GAN's)
 */
public record EngineOptions(Path head, Path clip, Path sam, boolean useSam, Precision precision, MmrConfig mmr,
        Double threshold, List<Path> refs, int imageSize, List<Integer> stages, ReferenceMemory.Combine combine) {

    /** ClipSAM's CLIP blocks on ViT-L/14 and its input size, for the training-free mode. */
    public static final List<Integer> DEFAULT_STAGES = List.of(6, 12, 18, 24);
    public static final int DEFAULT_IMAGE_SIZE = 518;

    public EngineOptions {
        Objects.requireNonNull(precision, "precision");
        Objects.requireNonNull(mmr, "mmr");
        refs = List.copyOf(refs);
        stages = List.copyOf(stages);
        Objects.requireNonNull(combine, "combine");
        if (head == null && refs.isEmpty()) {
            throw new IllegalArgumentException("a head or reference images are needed (--head, --refs)");
        }
        if (threshold != null && !(threshold >= 0 && threshold <= 1)) {
            throw new IllegalArgumentException("threshold " + threshold + " is not a number in [0, 1]");
        }
        if (imageSize < 1) {
            throw new IllegalArgumentException("image size " + imageSize + " must be at least 1");
        }
        if (stages.isEmpty() || stages.stream().anyMatch(b -> b < 1)) {
            throw new IllegalArgumentException("stages " + stages + " must be CLIP blocks, 1-based");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder with the defaults: SAM on, fp32, the paper's MMR settings, the head's threshold, no references. */
    public static final class Builder {
        private Path head;
        private Path clip;
        private Path sam;
        private boolean useSam = true;
        private Precision precision = Precision.FP32;
        private MmrConfig mmr = MmrConfig.DEFAULT;
        private Double threshold;
        private List<Path> refs = List.of();
        private int imageSize = DEFAULT_IMAGE_SIZE;
        private List<Integer> stages = DEFAULT_STAGES;
        private ReferenceMemory.Combine combine = ReferenceMemory.Combine.MEAN;

        private Builder() {
        }

        public Builder refs(List<Path> refs) {
            this.refs = refs;
            return this;
        }

        public Builder imageSize(int imageSize) {
            this.imageSize = imageSize;
            return this;
        }

        public Builder stages(List<Integer> stages) {
            this.stages = stages;
            return this;
        }

        public Builder combine(ReferenceMemory.Combine combine) {
            this.combine = combine;
            return this;
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
            return new EngineOptions(head, clip, sam, useSam, precision, mmr, threshold, refs, imageSize, stages,
                    combine);
        }
    }
}

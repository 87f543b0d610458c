package dev.clipsam.spark;

import dev.clipsam.engine.EngineOptions;
import dev.clipsam.mmr.MmrConfig;
import dev.clipsam.nn.Precision;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@link ClipSamSpark#score} needs. Only these settings and the checkpoints' locations travel to the executors,
 * never weights: each executor opens its engines from them (see {@link ExecutorEngines}).
 *
 * @param head          the trained head, or null for the training-free mode (then {@code refs} are needed)
 * @param clip          the CLIP checkpoint, or null for the official one in the executor's clipsam home
 * @param sam           the SAM checkpoint, or null for the official one there
 * @param refs          images of good parts (files or folders) for the few-shot map, or empty
 * @param useSam        false for the rough map only
 * @param precision     fp32, bf16 or int8 towers
 * @param threshold     the mask threshold, or null for the head's own
 * @param mmr           MMR settings (its seed is used afresh for every image, so rows do not depend on partitioning)
 * @param imageSize     CLIP input size without a head
 * @param stages        CLIP blocks read without a head
 * @param className     the class name in every image's prompts, or null
 * @param classFromPath take the class name from each image's path: the nearest folder holding {@code good/} or
 *                      {@code test/} (MVTec AD and the folder layout), as {@code clipsam predict} does
 * @param withMasks     add the {@code mask_png} column
 * @param saveMaps      a folder (any Hadoop file system) for the final maps as {@code <class>/<defect>/<stem>.npy}, the
 *                      layout {@code clipsam metrics --dataset} reads, or null
 * @param pathColumn    the input column with each image's location
 * @param contentColumn the input column with each image's bytes
 *
 * <p>Checkpoint locations are local paths that every executor can read, a file name shipped with
 * {@code spark-submit --files} (found through {@code SparkFiles}), or a Hadoop URI ({@code hdfs://}, {@code s3a://},
 * ...) that each executor copies once to its local disk.
 */
public record ScoreOptions(String head, String clip, String sam, List<String> refs, boolean useSam, Precision precision,
        Double threshold, MmrConfig mmr, int imageSize, List<Integer> stages, String className, boolean classFromPath,
        boolean withMasks, String saveMaps, String pathColumn, String contentColumn) implements Serializable {

    private static final long serialVersionUID = 1L;

    public ScoreOptions {
        refs = List.copyOf(refs);
        stages = List.copyOf(stages);
        if (className != null && classFromPath) {
            throw new IllegalArgumentException("give a class name or take it from the path, not both");
        }
        engineOptions(head, clip, sam, refs, useSam, precision, threshold, mmr, imageSize, stages);   // validates
    }

    /** The engine's options on an executor, with checkpoint locations resolved to local files. */
    EngineOptions engineOptions(java.util.function.UnaryOperator<String> local) {
        return engineOptions(local.apply(head), local.apply(clip), local.apply(sam),
                refs.stream().map(local).toList(), useSam, precision, threshold, mmr, imageSize, stages);
    }

    private static EngineOptions engineOptions(String head, String clip, String sam, List<String> refs, boolean useSam,
            Precision precision, Double threshold, MmrConfig mmr, int imageSize, List<Integer> stages) {
        return EngineOptions.builder().head(path(head)).clip(path(clip)).sam(path(sam))
                .refs(refs.stream().map(Path::of).toList()).useSam(useSam).precision(precision).threshold(threshold)
                .mmr(mmr).imageSize(imageSize).stages(stages).build();
    }

    private static Path path(String p) {
        return p == null ? null : Path.of(p);
    }

    /** What identifies an executor's engine: everything but the per-row settings. */
    String engineKey() {
        return String.join("\u0000", String.valueOf(head), String.valueOf(clip), String.valueOf(sam),
                String.valueOf(refs), String.valueOf(useSam), precision.name(), String.valueOf(threshold),
                String.valueOf(mmr), String.valueOf(imageSize), String.valueOf(stages));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Defaults: SAM on, fp32, the paper's MMR, the head's threshold, class {@code object}, columns of binaryFile. */
    public static final class Builder {
        private String head;
        private String clip;
        private String sam;
        private List<String> refs = List.of();
        private boolean useSam = true;
        private Precision precision = Precision.FP32;
        private Double threshold;
        private MmrConfig mmr = MmrConfig.DEFAULT;
        private int imageSize = EngineOptions.DEFAULT_IMAGE_SIZE;
        private List<Integer> stages = EngineOptions.DEFAULT_STAGES;
        private String className;
        private boolean classFromPath;
        private boolean withMasks;
        private String saveMaps;
        private String pathColumn = "path";
        private String contentColumn = "content";

        private Builder() {
        }

        public Builder head(String v) {
            head = v;
            return this;
        }

        public Builder clip(String v) {
            clip = v;
            return this;
        }

        public Builder sam(String v) {
            sam = v;
            return this;
        }

        public Builder refs(List<String> v) {
            refs = v;
            return this;
        }

        public Builder useSam(boolean v) {
            useSam = v;
            return this;
        }

        public Builder precision(Precision v) {
            precision = v;
            return this;
        }

        public Builder threshold(Double v) {
            threshold = v;
            return this;
        }

        public Builder mmr(MmrConfig v) {
            mmr = v;
            return this;
        }

        public Builder imageSize(int v) {
            imageSize = v;
            return this;
        }

        public Builder stages(List<Integer> v) {
            stages = v;
            return this;
        }

        public Builder className(String v) {
            className = v;
            return this;
        }

        public Builder classFromPath(boolean v) {
            classFromPath = v;
            return this;
        }

        public Builder withMasks(boolean v) {
            withMasks = v;
            return this;
        }

        public Builder saveMaps(String v) {
            saveMaps = v;
            return this;
        }

        public Builder pathColumn(String v) {
            pathColumn = v;
            return this;
        }

        public Builder contentColumn(String v) {
            contentColumn = v;
            return this;
        }

        /** The options; an invalid one is an {@link IllegalArgumentException} naming it. */
        public ScoreOptions build() {
            return new ScoreOptions(head, clip, sam, refs, useSam, precision, threshold, mmr, imageSize, stages,
                    className, classFromPath, withMasks, saveMaps, pathColumn, contentColumn);
        }
    }
}

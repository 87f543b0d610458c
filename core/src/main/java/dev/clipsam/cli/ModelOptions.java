package dev.clipsam.cli;

import dev.clipsam.engine.ClipSam;
import dev.clipsam.engine.EngineOptions;
import dev.clipsam.fewshot.ReferenceMemory;
import dev.clipsam.io.OfficialCheckpoint;
import dev.clipsam.nn.Precision;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** The models of a ClipSAM run: CLIP, SAM, a trained head and/or references, turned into {@link EngineOptions}. */
final class ModelOptions {

    @Option(names = "--clip", paramLabel = "CKPT", description = "CLIP checkpoint (default: ViT-L-14-336px.pt in"
            + " $CLIPSAM_HOME, else ~/.cache/clipsam; 'clipsam fetch clip' puts it there).")
    Path clip;

    @Option(names = "--sam", paramLabel = "CKPT", description = "SAM checkpoint (default: sam_vit_h_4b8939.pth in"
            + " $CLIPSAM_HOME, else ~/.cache/clipsam; 'clipsam fetch sam-vit-h').")
    Path sam;

    @Option(names = "--head", paramLabel = "FILE", description = "Trained head (.safetensors from clipsam train);"
            + " without it, --refs alone gives the training-free mode.")
    Path head;

    @Option(names = "--refs", split = ",", paramLabel = "IMAGE|FOLDER", description = "Images of good parts (files or"
            + " folders; two or more for a calibrated map): their few-shot map is the rough map without a head, or is"
            + " averaged with the head's.")
    List<Path> refs = List.of();

    @Option(names = "--image-size", paramLabel = "PX", description = "CLIP input size without a head (default: 518;"
            + " a head fixes its own).")
    Integer imageSize;

    @Option(names = "--stages", split = ",", paramLabel = "B", description = "CLIP blocks read without a head"
            + " (default: 6,12,18,24).")
    List<Integer> stages;

    @Option(names = "--fewshot-combine", paramLabel = "MODE", defaultValue = "mean", description = "How the"
            + " references' stage maps combine: mean (default) or sum (APRIL-GAN's, for reproducing it).")
    String combine;

    @Option(names = "--precision", defaultValue = "fp32", description = "CLIP and SAM image towers in fp32"
            + " (reference), bf16 (faster on CPUs with bf16 units) or int8 (dynamically quantized linear layers;"
            + " default: ${DEFAULT-VALUE}).")
    Precision precision;

    /** The engine's options; a bad value is one line naming the option. */
    EngineOptions options(MmrOptions mmr, Double threshold, boolean useSam) {
        return options(mmr, threshold, useSam, refs);
    }

    /** The same with other references than {@code --refs} (the few-shot evaluation's first class). */
    EngineOptions options(MmrOptions mmr, Double threshold, boolean useSam, List<Path> refs) {
        if (threshold != null && !(threshold >= 0 && threshold <= 1)) {
            throw new UserInputException("--threshold " + threshold + " is not a number in [0, 1]");
        }
        if (head == null && refs.isEmpty()) {
            throw new UserInputException("give a trained head (--head) or images of good parts (--refs), or both");
        }
        if (head != null && (imageSize != null || stages != null)) {
            throw new UserInputException("--image-size and --stages are for the training-free mode; a head fixes its"
                    + " own (drop them)");
        }
        ReferenceMemory.Combine mode;
        try {
            mode = ReferenceMemory.Combine.parse(combine);
        } catch (IllegalArgumentException e) {
            throw new UserInputException("--fewshot-combine " + e.getMessage());
        }
        try {
            return EngineOptions.builder().head(head).clip(clip).sam(sam).useSam(useSam).precision(precision)
                    .mmr(mmr.config()).threshold(threshold).refs(refs).combine(mode)
                    .imageSize(imageSize != null ? imageSize : EngineOptions.DEFAULT_IMAGE_SIZE)
                    .stages(stages != null ? stages : EngineOptions.DEFAULT_STAGES).build();
        } catch (IllegalArgumentException e) {
            throw new UserInputException(e.getMessage());
        }
    }

    /** Opens the engine: the head, the CLIP it was trained on (refusing another), SAM unless it is off. */
    ClipSam open(MmrOptions mmr, Double threshold, boolean useSam) throws IOException {
        return ClipSam.open(options(mmr, threshold, useSam));
    }

    ClipSam open(MmrOptions mmr, Double threshold, boolean useSam, List<Path> refs) throws IOException {
        return ClipSam.open(options(mmr, threshold, useSam, refs));
    }

    Path clipFile() {
        return ClipSam.existing(clip, OfficialCheckpoint.CLIP);
    }

    Path samFile() {
        return ClipSam.existing(sam, OfficialCheckpoint.SAM_VIT_H);
    }
}

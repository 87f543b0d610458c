package dev.clipsam.cli;

import dev.clipsam.engine.ClipSam;
import dev.clipsam.engine.EngineOptions;
import dev.clipsam.io.OfficialCheckpoint;
import dev.clipsam.nn.Precision;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The models of a ClipSAM run: CLIP, SAM and a trained head, turned into {@link EngineOptions}. */
final class ModelOptions {

    @Option(names = "--clip", paramLabel = "CKPT", description = "CLIP checkpoint (default: ViT-L-14-336px.pt in"
            + " $CLIPSAM_HOME, else ~/.cache/clipsam; 'clipsam fetch clip' puts it there).")
    Path clip;

    @Option(names = "--sam", paramLabel = "CKPT", description = "SAM checkpoint (default: sam_vit_h_4b8939.pth in"
            + " $CLIPSAM_HOME, else ~/.cache/clipsam; 'clipsam fetch sam-vit-h').")
    Path sam;

    @Option(names = "--head", required = true, paramLabel = "FILE", description = "Trained head (.safetensors from"
            + " clipsam train).")
    Path head;

    @Option(names = "--precision", defaultValue = "fp32", description = "CLIP and SAM towers in fp32 (reference) or"
            + " bf16 (faster on CPUs with bf16 units; default: ${DEFAULT-VALUE}).")
    Precision precision;

    /** The engine's options; a bad value is one line naming the option. */
    EngineOptions options(MmrOptions mmr, Double threshold, boolean useSam) {
        if (threshold != null && !(threshold >= 0 && threshold <= 1)) {
            throw new UserInputException("--threshold " + threshold + " is not a number in [0, 1]");
        }
        try {
            return EngineOptions.builder().head(head).clip(clip).sam(sam).useSam(useSam).precision(precision)
                    .mmr(mmr.config()).threshold(threshold).build();
        } catch (IllegalArgumentException e) {
            throw new UserInputException(e.getMessage());
        }
    }

    /** Opens the engine: the head, the CLIP it was trained on (refusing another), SAM unless it is off. */
    ClipSam open(MmrOptions mmr, Double threshold, boolean useSam) throws IOException {
        return ClipSam.open(options(mmr, threshold, useSam));
    }

    Path clipFile() {
        return ClipSam.existing(clip, OfficialCheckpoint.CLIP);
    }

    Path samFile() {
        return ClipSam.existing(sam, OfficialCheckpoint.SAM_VIT_H);
    }
}

package dev.clipsam.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.clipsam.clip.ClipModel;
import dev.clipsam.clip.PromptEnsemble;
import dev.clipsam.io.Checkpoint;
import dev.clipsam.io.CheckpointException;
import dev.clipsam.io.Hashing;
import dev.clipsam.io.OfficialCheckpoint;
import dev.clipsam.mmr.MmrConfig;
import dev.clipsam.nn.Activation;
import dev.clipsam.nn.Precision;
import dev.clipsam.pipeline.ClipSam;
import dev.clipsam.pipeline.ClipStages;
import dev.clipsam.pipeline.TextFeatureCache;
import dev.clipsam.sam.SamModel;
import dev.clipsam.sam.SamPredictor;
import dev.clipsam.umci.AnomalyHead;
import dev.clipsam.umci.HeadFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Option;

/** The models of a ClipSAM run: CLIP, SAM and a trained head, with checks that they belong together. */
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

    /** Loaded models; close to free them. */
    static final class Models implements AutoCloseable {
        final ClipModel clip;
        final AnomalyHead head;
        final JsonNode description;
        final SamModel sam;
        final SamPredictor predictor;
        final ClipStages stages;

        Models(ClipModel clip, AnomalyHead head, JsonNode description, SamModel sam, TextFeatureCache text) {
            this.clip = clip;
            this.head = head;
            this.description = description;
            this.sam = sam;
            this.predictor = sam == null ? null : new SamPredictor(sam);
            this.stages = new ClipStages(clip, description.path("image_size").asInt(), head.config().stages(), text);
        }

        /** The F1-optimal threshold of the head's rough map on its training data. */
        double headThreshold() {
            return description.path("threshold").asDouble(0.5);
        }

        ClipSam pipeline(MmrConfig mmr) {
            return new ClipSam(stages, head, PromptEnsemble.winclip(), predictor, mmr);
        }

        @Override
        public void close() {
            if (predictor != null) {
                predictor.close();
            }
            if (sam != null) {
                sam.close();
            }
            head.close();
            clip.close();
        }
    }

    Path clipFile() {
        return existing(clip, OfficialCheckpoint.CLIP);
    }

    Path samFile() {
        return existing(sam, OfficialCheckpoint.SAM_VIT_H);
    }

    /** Loads the head, then the CLIP it was trained on (refusing another), then SAM unless {@code withSam} is false. */
    Models load(boolean withSam) throws IOException {
        if (!Files.isRegularFile(head)) {
            throw new UserInputException(head + ": head file not found (train one with clipsam train)");
        }
        Path clipPath = clipFile();
        Path samPath = withSam ? samFile() : null;
        JsonNode description;
        AnomalyHead anomalyHead;
        try (Checkpoint ckpt = Checkpoint.open(head)) {
            description = HeadFile.description(ckpt);
            anomalyHead = AnomalyHead.load(HeadFile.config(description), ckpt);
        }
        ClipModel clipModel = null;
        SamModel samModel = null;
        try {
            JsonNode trained = description.path("clip");
            String sha = Hashing.sha256(clipPath);
            if (!sha.equals(trained.path("sha256").asText())) {
                throw new CheckpointException(head, "was trained on CLIP " + trained.path("file").asText() + " (SHA-256 "
                        + trained.path("sha256").asText() + "), not on " + clipPath + " (SHA-256 " + sha + "); use that"
                        + " CLIP or train a head for this one");
            }
            Activation activation = Activation.valueOf(trained.path("activation").asText("quick_gelu")
                    .toUpperCase(Locale.ROOT));
            clipModel = ClipModel.load(clipPath, new ClipModel.Options(precision, activation));
            String mismatch = ClipSam.mismatch(anomalyHead.config(), clipModel.config());
            if (mismatch != null) {
                throw new CheckpointException(head, "holds " + mismatch + " of " + clipPath);
            }
            if (samPath != null) {
                samModel = SamModel.load(samPath, precision);
            }
            return new Models(clipModel, anomalyHead, description, samModel, textCache(sha, precision, activation));
        } catch (RuntimeException | IOException e) {
            if (samModel != null) {
                samModel.close();
            }
            if (clipModel != null) {
                clipModel.close();
            }
            anomalyHead.close();
            throw e;
        }
    }

    /** Where text features of this CLIP, run this way, with the WinCLIP prompt ensemble are kept. */
    static TextFeatureCache textCache(String clipSha256, Precision precision, Activation activation) {
        return new TextFeatureCache(Locations.textCache(), TextFeatureCache.key(clipSha256,
                precision.name().toLowerCase(Locale.ROOT), activation.name().toLowerCase(Locale.ROOT), "winclip"));
    }

    /** The file given, else the official checkpoint's default place; it must exist. */
    static Path existing(Path given, OfficialCheckpoint official) {
        Path file = given != null ? given : Locations.checkpoint(official);
        if (!Files.isRegularFile(file)) {
            throw new UserInputException(file + ": checkpoint not found; " + official.howToGet());
        }
        return file;
    }
}

package dev.clipsam.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.clipsam.clip.ClipConfig;
import dev.clipsam.clip.ClipModel;
import dev.clipsam.io.Checkpoint;
import dev.clipsam.io.DType;
import dev.clipsam.io.KeyCheck;
import dev.clipsam.io.TensorInfo;
import dev.clipsam.sam.SamConfig;
import dev.clipsam.sam.SamModel;
import dev.clipsam.umci.HeadConfig;
import dev.clipsam.umci.HeadDescription;
import dev.clipsam.umci.HeadFile;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code clipsam inspect}: what a checkpoint file is, without loading a model. */
@Command(name = "inspect", description = {
    "Describe a checkpoint: container format, dtypes, parameter count, the architecture inferred from the tensor"
        + " shapes, and missing or unexpected tensors.",
    "Knows CLIP (OpenAI / open_clip ViT) and Segment Anything (vit_b, vit_l, vit_h). Reads OpenAI CLIP TorchScript"
        + " .pt files, torch state dicts (.pt/.pth) and .safetensors files."})
final class InspectCommand implements Callable<Integer> {

    /** A model family inspect can recognise. */
    interface Family {
        /** Whether the checkpoint looks like this family (by its key names). */
        boolean matches(Checkpoint ckpt);

        /** Lines describing the architecture; throws a {@code CheckpointException} if it cannot be inferred. */
        List<String> describe(Checkpoint ckpt);

        KeyCheck keys(Checkpoint ckpt);

        /** Known extra tensors that are not a problem, for the report. */
        default String ignoredNote(Checkpoint ckpt) {
            return "";
        }
    }

    static final List<Family> FAMILIES = List.of(new ClipFamily(), new SamFamily());

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "CHECKPOINT", description = "The checkpoint file.")
    Path file;

    @Option(names = "--tensors", description = "Also list every tensor with dtype and shape.")
    boolean listTensors;

    @Override
    public Integer call() {
        common.apply();
        PrintWriter out = spec.commandLine().getOut();
        try (Checkpoint ckpt = Checkpoint.open(file)) {
            List<TensorInfo> tensors = ckpt.tensors();
            Map<DType, Integer> dtypes = new EnumMap<>(DType.class);
            long values = 0;
            for (TensorInfo t : tensors) {
                dtypes.merge(t.dtype(), 1, Integer::sum);
                values += t.numel();
            }
            row(out, "file", file + " (" + humanBytes(ckpt.fileSize()) + ")");
            row(out, "format", ckpt.format().description());
            List<String> counts = new ArrayList<>();
            dtypes.forEach((d, n) -> counts.add(d.displayName() + ": " + n));
            row(out, "tensors", tensors.size() + " (" + String.join(", ", counts) + ")");
            row(out, "values", String.format("%,d", values));
            boolean head = ckpt.metadata().containsKey("clipsam");
            JsonNode refs = dev.clipsam.fewshot.ReferenceMemory.description(ckpt);
            if (refs != null) {
                row(out, "model", "clipsam reference memory (" + refs.path("format").asText() + "): "
                        + refs.path("k").asInt() + " references, grid " + refs.path("grid").asInt() + " at "
                        + refs.path("size").asInt() + " px, blocks " + refs.path("stages").asText() + ", tau "
                        + refs.path("tau").asText("- (one reference)"));
                row(out, "CLIP", "SHA-256 " + refs.path("clip_sha256").asText() + ", " + refs.path("precision")
                        .asText());
                row(out, "images", refs.path("references").asText());
                out.flush();
                return 0;
            }
            if (!ckpt.metadata().isEmpty() && !head) {
                row(out, "metadata", ckpt.metadata().toString());
            }
            if (listTensors) {
                for (TensorInfo t : tensors) {
                    out.printf("  %-60s %-9s %s%n", t.name(), t.dtype().displayName(), Arrays.toString(t.shape()));
                }
            }
            if (head) {
                describeHead(out, HeadFile.description(ckpt));
                out.flush();
                return 0;
            }
            Family family = FAMILIES.stream().filter(f -> f.matches(ckpt)).findFirst().orElse(null);
            if (family == null) {
                out.flush();
                throw new UserInputException(file + ": is a checkpoint, but not of a model clipsam knows"
                        + " (CLIP ViT or Segment Anything expected; see --tensors)");
            }
            family.describe(ckpt).forEach(line -> out.println(line));
            KeyCheck keys = family.keys(ckpt);
            row(out, "missing", keys.missing().isEmpty() ? "none" : keys.missing().size() + ": "
                    + String.join(", ", keys.missing()));
            row(out, "wrong shape", keys.wrongShape().isEmpty() ? "none" : String.join(", ", keys.wrongShape()));
            row(out, "unexpected", (keys.unexpected().isEmpty() ? "none" : keys.unexpected().size() + ": "
                    + String.join(", ", keys.unexpected())) + family.ignoredNote(ckpt));
            out.flush();
            if (!keys.loadable()) {
                throw new UserInputException(file + ": cannot be loaded: " + keys.problem());
            }
            return 0;
        }
    }

    /** A clipsam head: what {@code train} wrote about it (its description is checked as on load). */
    private static void describeHead(PrintWriter out, HeadDescription d) {
        HeadConfig c = d.config();
        row(out, "model", "clipsam anomaly head (" + HeadFile.FORMAT + "), " + c.type().id());
        row(out, "head", "C " + c.clipWidth() + ", Ct " + c.textDim() + ", c_h " + c.hidden() + ", scales "
                + c.scales() + ", CLIP blocks " + c.stages() + ", stage weights " + c.stageWeights());
        row(out, "input", d.imageSize() + " px");
        HeadDescription.ClipIdentity clip = d.clip();
        row(out, "CLIP", clip.name() + " " + clip.file() + " (SHA-256 " + clip.sha256() + "), " + clip.precision()
                + ", " + clip.activation());
        row(out, "classes", d.classes().isEmpty() ? "-" : String.join(", ", d.classes()));
        row(out, "threshold", String.format(java.util.Locale.ROOT, "%.4f (F1-optimal on the training data)",
                d.threshold()));
        JsonNode t = d.training();
        if (t != null && !t.isMissingNode() && t.size() > 0) {
            row(out, "trained", t.path("dataset").asText("?") + " (" + t.path("format").asText("?") + "), "
                    + t.path("images").asInt() + " images, " + t.path("epochs").asInt() + " epochs, lr "
                    + t.path("lr").asDouble() + ", seed " + t.path("seed").asLong() + ", " + t.path("finished")
                    .asText("") + ", clipsam " + t.path("clipsam").asText("?"));
            row(out, "losses", t.path("epoch_losses").toString());
        }
    }

    static void row(PrintWriter out, String key, String value) {
        out.printf("%-12s %s%n", key, value);
    }

    static String humanBytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format("%.1f %s", v, units[u]);
    }

    /** OpenAI / open_clip ViT CLIP. */
    static final class ClipFamily implements Family {
        @Override
        public boolean matches(Checkpoint ckpt) {
            return ckpt.contains("visual.conv1.weight") || ckpt.contains("text_projection");
        }

        @Override
        public List<String> describe(Checkpoint ckpt) {
            ClipConfig c = ClipConfig.infer(ckpt);
            List<String> lines = new ArrayList<>();
            lines.add(String.format("%-12s CLIP %s, %,d parameters", "model", c.name(), c.parameterCount()));
            lines.add(String.format("%-12s width %d, layers %d, heads %d, patch %d, image %d px (grid %d)", "  vision",
                    c.visionWidth(), c.visionLayers(), c.visionHeads(), c.visionPatchSize(), c.imageResolution(),
                    c.grid()));
            lines.add(String.format("%-12s width %d, layers %d, heads %d, context %d, vocab %d", "  text",
                    c.transformerWidth(), c.transformerLayers(), c.transformerHeads(), c.contextLength(),
                    c.vocabSize()));
            lines.add(String.format("%-12s %d", "  embed dim", c.embedDim()));
            return lines;
        }

        @Override
        public KeyCheck keys(Checkpoint ckpt) {
            return ClipModel.checkKeys(ClipConfig.infer(ckpt), ckpt);
        }

        @Override
        public String ignoredNote(Checkpoint ckpt) {
            List<String> ignored = ckpt.tensors().stream().map(TensorInfo::name)
                    .filter(ClipConfig.IGNORED_BUFFERS::contains).toList();
            return ignored.isEmpty() ? "" : " (TorchScript buffers ignored: " + String.join(", ", ignored) + ")";
        }
    }

    /** Segment Anything (official {@code sam_vit_*.pth}). */
    static final class SamFamily implements Family {
        @Override
        public boolean matches(Checkpoint ckpt) {
            return ckpt.contains("image_encoder.patch_embed.proj.weight") || ckpt.contains("mask_decoder.iou_token.weight");
        }

        @Override
        public List<String> describe(Checkpoint ckpt) {
            SamConfig c = SamConfig.infer(ckpt);
            return List.of(
                    String.format("%-12s Segment Anything %s, %,d parameters and buffers", "model", c.name(),
                            c.parameterCount()),
                    String.format("%-12s width %d, depth %d, heads %d (head size %d), global attention in blocks %s,"
                            + " windows %d", "  encoder", c.encoderEmbedDim(), c.encoderDepth(), c.encoderNumHeads(),
                            c.headDim(), c.encoderGlobalAttnIndexes(), SamConfig.WINDOW_SIZE),
                    String.format("%-12s image %d px, patch %d, embedding %d x %d x %d", "  input", SamConfig.IMAGE_SIZE,
                            SamConfig.PATCH_SIZE, SamConfig.OUT_CHANS, SamConfig.GRID, SamConfig.GRID),
                    String.format("%-12s prompt encoder and mask decoder of every SAM (256 channels, 3 masks + IoU)",
                            "  decoder"));
        }

        @Override
        public KeyCheck keys(Checkpoint ckpt) {
            return SamModel.checkKeys(SamConfig.infer(ckpt), ckpt);
        }
    }
}

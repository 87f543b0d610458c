package dev.clipsam.clip;

import dev.clipsam.io.CheckpointException;
import dev.clipsam.io.TensorInfo;
import dev.clipsam.io.TensorSource;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The architecture of a ViT CLIP, in the terms of OpenAI's {@code clip.model.CLIP} constructor.
 *
 * @param embedDim           joint embedding size (768 for ViT-L/14)
 * @param imageResolution    native input size (336 for ViT-L/14@336)
 * @param visionLayers       residual blocks of the image tower
 * @param visionWidth        image tower width
 * @param visionPatchSize    patch size
 * @param contextLength      text positions (77)
 * @param vocabSize          token vocabulary (49408)
 * @param transformerWidth   text tower width
 * @param transformerHeads   text attention heads
 * @param transformerLayers  text residual blocks
 */
public record ClipConfig(int embedDim, int imageResolution, int visionLayers, int visionWidth, int visionPatchSize,
        int contextLength, int vocabSize, int transformerWidth, int transformerHeads, int transformerLayers) {

    /** OpenAI {@code ViT-L-14-336px.pt}, the CLIP ClipSAM uses (docs/DESIGN.md §2). */
    public static final ClipConfig VIT_L_14_336 = new ClipConfig(768, 336, 24, 1024, 14, 77, 49408, 768, 12, 12);
    /** OpenAI {@code ViT-L-14.pt}. */
    public static final ClipConfig VIT_L_14 = new ClipConfig(768, 224, 24, 1024, 14, 77, 49408, 768, 12, 12);
    /** OpenAI {@code ViT-B-16.pt}. */
    public static final ClipConfig VIT_B_16 = new ClipConfig(512, 224, 12, 768, 16, 77, 49408, 512, 8, 12);

    /** Buffers that OpenAI's TorchScript files carry and {@code build_model} drops. */
    public static final Set<String> IGNORED_BUFFERS = Set.of("input_resolution", "context_length", "vocab_size");

    /** Heads of the image tower: width / 64, the rule {@code build_model} uses. */
    public int visionHeads() {
        return visionWidth / 64;
    }

    /** Patches per side at the native resolution. */
    public int grid() {
        return imageResolution / visionPatchSize;
    }

    /** A short name such as {@code ViT-L/14@336px}. */
    public String name() {
        String base = "ViT-" + switch (visionWidth) {
            case 768 -> "B";
            case 1024 -> "L";
            case 1280 -> "H";
            default -> "w" + visionWidth;
        } + "/" + visionPatchSize;
        return imageResolution == 224 ? base : base + "@" + imageResolution + "px";
    }

    /**
     * Infers the architecture from tensor shapes exactly as OpenAI's {@code build_model} does.
     *
     * @throws CheckpointException when the checkpoint is not a ViT CLIP
     */
    public static ClipConfig infer(TensorSource ckpt) {
        if (!ckpt.contains("visual.conv1.weight") || !ckpt.contains("text_projection")) {
            throw new CheckpointException(ckpt.path(), "is not a CLIP checkpoint (no visual.conv1.weight /"
                    + " text_projection; OpenAI or open_clip key names expected)");
        }
        if (!ckpt.contains("visual.proj")) {
            throw new CheckpointException(ckpt.path(), "is a ResNet CLIP; ClipSAM needs a ViT CLIP such as"
                    + " ViT-L-14-336px.pt");
        }
        long[] conv1 = ckpt.shape("visual.conv1.weight");
        int visionWidth = (int) conv1[0];
        int patch = (int) conv1[conv1.length - 1];
        int visionLayers = (int) ckpt.tensors().stream().map(TensorInfo::name)
                .filter(k -> k.startsWith("visual.") && k.endsWith(".attn.in_proj_weight")).count();
        long positions = require(ckpt, "visual.positional_embedding")[0];
        int grid = (int) Math.round(Math.sqrt(positions - 1));
        if (grid * grid + 1 != positions) {
            throw new CheckpointException(ckpt.path(), "visual.positional_embedding has " + positions
                    + " rows, not 1 + a square grid");
        }
        int embedDim = (int) ckpt.shape("text_projection")[1];
        int context = (int) require(ckpt, "positional_embedding")[0];
        int vocab = (int) require(ckpt, "token_embedding.weight")[0];
        int textWidth = (int) require(ckpt, "ln_final.weight")[0];
        Set<String> textBlocks = new HashSet<>();
        for (TensorInfo t : ckpt.tensors()) {
            if (t.name().startsWith("transformer.resblocks.")) {
                textBlocks.add(t.name().split("\\.")[2]);
            }
        }
        return new ClipConfig(embedDim, patch * grid, visionLayers, visionWidth, patch, context, vocab, textWidth,
                textWidth / 64, textBlocks.size());
    }

    private static long[] require(TensorSource ckpt, String name) {
        if (!ckpt.contains(name)) {
            throw new CheckpointException(ckpt.path(), "is not a complete CLIP checkpoint (no " + name + ")");
        }
        return ckpt.shape(name);
    }

    /** Every state-dict key this architecture has, with its shape. */
    public Map<String, long[]> stateDictShapes() {
        long vw = visionWidth;
        long tw = transformerWidth;
        long grid = grid();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("positional_embedding", new long[] {contextLength, tw});
        shapes.put("text_projection", new long[] {tw, embedDim});
        shapes.put("logit_scale", new long[] {});
        shapes.put("visual.class_embedding", new long[] {vw});
        shapes.put("visual.positional_embedding", new long[] {grid * grid + 1, vw});
        shapes.put("visual.proj", new long[] {vw, embedDim});
        shapes.put("visual.conv1.weight", new long[] {vw, 3, visionPatchSize, visionPatchSize});
        shapes.put("visual.ln_pre.weight", new long[] {vw});
        shapes.put("visual.ln_pre.bias", new long[] {vw});
        for (int i = 0; i < visionLayers; i++) {
            putBlock(shapes, "visual.transformer.resblocks." + i + ".", vw);
        }
        shapes.put("visual.ln_post.weight", new long[] {vw});
        shapes.put("visual.ln_post.bias", new long[] {vw});
        shapes.put("token_embedding.weight", new long[] {vocabSize, tw});
        for (int i = 0; i < transformerLayers; i++) {
            putBlock(shapes, "transformer.resblocks." + i + ".", tw);
        }
        shapes.put("ln_final.weight", new long[] {tw});
        shapes.put("ln_final.bias", new long[] {tw});
        return shapes;
    }

    private static void putBlock(Map<String, long[]> shapes, String p, long w) {
        shapes.put(p + "attn.in_proj_weight", new long[] {3 * w, w});
        shapes.put(p + "attn.in_proj_bias", new long[] {3 * w});
        shapes.put(p + "attn.out_proj.weight", new long[] {w, w});
        shapes.put(p + "attn.out_proj.bias", new long[] {w});
        shapes.put(p + "ln_1.weight", new long[] {w});
        shapes.put(p + "ln_1.bias", new long[] {w});
        shapes.put(p + "mlp.c_fc.weight", new long[] {4 * w, w});
        shapes.put(p + "mlp.c_fc.bias", new long[] {4 * w});
        shapes.put(p + "mlp.c_proj.weight", new long[] {w, 4 * w});
        shapes.put(p + "mlp.c_proj.bias", new long[] {w});
        shapes.put(p + "ln_2.weight", new long[] {w});
        shapes.put(p + "ln_2.bias", new long[] {w});
    }

    /** Parameters of the whole model (both towers), from the shapes. */
    public long parameterCount() {
        long n = 0;
        for (long[] shape : stateDictShapes().values()) {
            long size = 1;
            for (long s : shape) {
                size *= s;
            }
            n += size;
        }
        return n;
    }

    /** Multiply-adds times two of one image-tower forward at {@code size x size} pixels through all blocks. */
    public double visionFlops(int size) {
        double n = Math.pow((double) size / visionPatchSize, 2) + 1;
        double w = visionWidth;
        double perBlock = 24 * n * w * w + 4 * n * n * w;
        double patchEmbed = 2 * (n - 1) * w * 3 * visionPatchSize * visionPatchSize;
        return visionLayers * perBlock + patchEmbed;
    }
}

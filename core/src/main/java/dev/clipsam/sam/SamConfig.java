package dev.clipsam.sam;

import dev.clipsam.io.CheckpointException;
import dev.clipsam.io.TensorInfo;
import dev.clipsam.io.TensorSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The four numbers in which SAM's variants differ (segment_anything/build_sam.py); everything else is fixed:
 * image 1024, patch 16, window 14, MLP ratio 4, neck and prompt embedding 256, mask decoder as in
 * {@link MaskDecoder}.
 *
 * @param encoderEmbedDim          image encoder width
 * @param encoderDepth             image encoder blocks
 * @param encoderNumHeads          image encoder heads
 * @param encoderGlobalAttnIndexes 0-based blocks with global attention (the others use 14x14 windows)
 */
public record SamConfig(int encoderEmbedDim, int encoderDepth, int encoderNumHeads, List<Integer> encoderGlobalAttnIndexes) {

    public static final SamConfig VIT_B = new SamConfig(768, 12, 12, List.of(2, 5, 8, 11));
    public static final SamConfig VIT_L = new SamConfig(1024, 24, 16, List.of(5, 11, 17, 23));
    public static final SamConfig VIT_H = new SamConfig(1280, 32, 16, List.of(7, 15, 23, 31));

    public static final int IMAGE_SIZE = 1024;
    public static final int PATCH_SIZE = 16;
    public static final int WINDOW_SIZE = 14;
    public static final int OUT_CHANS = 256;
    public static final int PROMPT_EMBED_DIM = 256;
    public static final int MASK_IN_CHANS = 16;
    public static final int DECODER_DEPTH = 2;
    public static final int DECODER_MLP_DIM = 2048;
    public static final int DECODER_HEADS = 8;
    public static final int ATTENTION_DOWNSAMPLE = 2;
    public static final int MULTIMASK_OUTPUTS = 3;
    public static final int IOU_HEAD_DEPTH = 3;
    public static final int IOU_HEAD_HIDDEN = 256;
    /** Side of the image embedding grid: 1024 / 16. */
    public static final int GRID = IMAGE_SIZE / PATCH_SIZE;

    public SamConfig {
        encoderGlobalAttnIndexes = List.copyOf(encoderGlobalAttnIndexes);
    }

    public int headDim() {
        return encoderEmbedDim / encoderNumHeads;
    }

    public boolean isGlobal(int block) {
        return encoderGlobalAttnIndexes.contains(block);
    }

    /** {@code vit_b}, {@code vit_l}, {@code vit_h}, or the width for other shapes. */
    public String name() {
        if (equals(VIT_B)) {
            return "vit_b";
        }
        if (equals(VIT_L)) {
            return "vit_l";
        }
        if (equals(VIT_H)) {
            return "vit_h";
        }
        return "vit (width " + encoderEmbedDim + ", depth " + encoderDepth + ")";
    }

    /**
     * Reads the variant off a state dict: width from the patch embedding, depth from the block count, head size
     * from the relative-position tables, global blocks from their table length (2·64-1 rows, windowed 2·14-1).
     */
    public static SamConfig infer(TensorSource source) {
        String patch = "image_encoder.patch_embed.proj.weight";
        if (!source.contains(patch) || !source.contains("mask_decoder.iou_token.weight")) {
            throw new CheckpointException(source.path(), "is not a Segment Anything checkpoint (no " + patch
                    + " / mask_decoder.iou_token.weight)");
        }
        int width = (int) source.shape(patch)[0];
        TreeSet<Integer> blocks = new TreeSet<>();
        for (TensorInfo t : source.tensors()) {
            if (t.name().startsWith("image_encoder.blocks.")) {
                blocks.add(Integer.parseInt(t.name().split("\\.")[2]));
            }
        }
        if (blocks.isEmpty()) {
            throw new CheckpointException(source.path(), "has no image_encoder.blocks");
        }
        String relPos = "image_encoder.blocks.0.attn.rel_pos_h";
        if (!source.contains(relPos)) {
            throw new CheckpointException(source.path(), "has no " + relPos + " (SAM uses relative positions)");
        }
        int headDim = (int) source.shape(relPos)[1];
        List<Integer> global = new ArrayList<>();
        for (int b : blocks) {
            String key = "image_encoder.blocks." + b + ".attn.rel_pos_h";
            if (source.contains(key) && source.shape(key)[0] == 2L * GRID - 1) {
                global.add(b);
            }
        }
        return new SamConfig(width, blocks.size(), width / headDim, global);
    }

    /** Every state-dict key with its shape, as {@code sam.state_dict()} lists them. */
    public Map<String, long[]> stateDictShapes() {
        Map<String, long[]> s = new LinkedHashMap<>();
        long c = encoderEmbedDim;
        long hd = headDim();
        s.put("image_encoder.pos_embed", new long[] {1, GRID, GRID, c});
        s.put("image_encoder.patch_embed.proj.weight", new long[] {c, 3, PATCH_SIZE, PATCH_SIZE});
        s.put("image_encoder.patch_embed.proj.bias", new long[] {c});
        for (int i = 0; i < encoderDepth; i++) {
            String p = "image_encoder.blocks." + i + ".";
            long rel = 2L * (isGlobal(i) ? GRID : WINDOW_SIZE) - 1;
            s.put(p + "norm1.weight", new long[] {c});
            s.put(p + "norm1.bias", new long[] {c});
            s.put(p + "attn.rel_pos_h", new long[] {rel, hd});
            s.put(p + "attn.rel_pos_w", new long[] {rel, hd});
            s.put(p + "attn.qkv.weight", new long[] {3 * c, c});
            s.put(p + "attn.qkv.bias", new long[] {3 * c});
            s.put(p + "attn.proj.weight", new long[] {c, c});
            s.put(p + "attn.proj.bias", new long[] {c});
            s.put(p + "norm2.weight", new long[] {c});
            s.put(p + "norm2.bias", new long[] {c});
            s.put(p + "mlp.lin1.weight", new long[] {4 * c, c});
            s.put(p + "mlp.lin1.bias", new long[] {4 * c});
            s.put(p + "mlp.lin2.weight", new long[] {c, 4 * c});
            s.put(p + "mlp.lin2.bias", new long[] {c});
        }
        s.put("image_encoder.neck.0.weight", new long[] {OUT_CHANS, c, 1, 1});
        s.put("image_encoder.neck.1.weight", new long[] {OUT_CHANS});
        s.put("image_encoder.neck.1.bias", new long[] {OUT_CHANS});
        s.put("image_encoder.neck.2.weight", new long[] {OUT_CHANS, OUT_CHANS, 3, 3});
        s.put("image_encoder.neck.3.weight", new long[] {OUT_CHANS});
        s.put("image_encoder.neck.3.bias", new long[] {OUT_CHANS});
        promptEncoderShapes(s);
        maskDecoderShapes(s);
        return s;
    }

    private static void promptEncoderShapes(Map<String, long[]> s) {
        long d = PROMPT_EMBED_DIM;
        s.put("prompt_encoder.pe_layer.positional_encoding_gaussian_matrix", new long[] {2, d / 2});
        for (int i = 0; i < 4; i++) {
            s.put("prompt_encoder.point_embeddings." + i + ".weight", new long[] {1, d});
        }
        s.put("prompt_encoder.not_a_point_embed.weight", new long[] {1, d});
        long m = MASK_IN_CHANS;
        s.put("prompt_encoder.mask_downscaling.0.weight", new long[] {m / 4, 1, 2, 2});
        s.put("prompt_encoder.mask_downscaling.0.bias", new long[] {m / 4});
        s.put("prompt_encoder.mask_downscaling.1.weight", new long[] {m / 4});
        s.put("prompt_encoder.mask_downscaling.1.bias", new long[] {m / 4});
        s.put("prompt_encoder.mask_downscaling.3.weight", new long[] {m, m / 4, 2, 2});
        s.put("prompt_encoder.mask_downscaling.3.bias", new long[] {m});
        s.put("prompt_encoder.mask_downscaling.4.weight", new long[] {m});
        s.put("prompt_encoder.mask_downscaling.4.bias", new long[] {m});
        s.put("prompt_encoder.mask_downscaling.6.weight", new long[] {d, m, 1, 1});
        s.put("prompt_encoder.mask_downscaling.6.bias", new long[] {d});
        s.put("prompt_encoder.no_mask_embed.weight", new long[] {1, d});
    }

    private static void maskDecoderShapes(Map<String, long[]> s) {
        long d = PROMPT_EMBED_DIM;
        long internal = d / ATTENTION_DOWNSAMPLE;
        for (int layer = 0; layer < DECODER_DEPTH; layer++) {
            String p = "mask_decoder.transformer.layers." + layer + ".";
            attention(s, p + "self_attn.", d, d);
            layerNorm(s, p + "norm1.", d);
            attention(s, p + "cross_attn_token_to_image.", d, internal);
            layerNorm(s, p + "norm2.", d);
            linear(s, p + "mlp.lin1.", d, DECODER_MLP_DIM);
            linear(s, p + "mlp.lin2.", DECODER_MLP_DIM, d);
            layerNorm(s, p + "norm3.", d);
            layerNorm(s, p + "norm4.", d);
            attention(s, p + "cross_attn_image_to_token.", d, internal);
        }
        attention(s, "mask_decoder.transformer.final_attn_token_to_image.", d, internal);
        layerNorm(s, "mask_decoder.transformer.norm_final_attn.", d);
        s.put("mask_decoder.iou_token.weight", new long[] {1, d});
        s.put("mask_decoder.mask_tokens.weight", new long[] {MULTIMASK_OUTPUTS + 1, d});
        s.put("mask_decoder.output_upscaling.0.weight", new long[] {d, d / 4, 2, 2});
        s.put("mask_decoder.output_upscaling.0.bias", new long[] {d / 4});
        s.put("mask_decoder.output_upscaling.1.weight", new long[] {d / 4});
        s.put("mask_decoder.output_upscaling.1.bias", new long[] {d / 4});
        s.put("mask_decoder.output_upscaling.3.weight", new long[] {d / 4, d / 8, 2, 2});
        s.put("mask_decoder.output_upscaling.3.bias", new long[] {d / 8});
        for (int t = 0; t <= MULTIMASK_OUTPUTS; t++) {
            String p = "mask_decoder.output_hypernetworks_mlps." + t + ".layers.";
            linear(s, p + "0.", d, d);
            linear(s, p + "1.", d, d);
            linear(s, p + "2.", d, d / 8);
        }
        linear(s, "mask_decoder.iou_prediction_head.layers.0.", d, IOU_HEAD_HIDDEN);
        linear(s, "mask_decoder.iou_prediction_head.layers.1.", IOU_HEAD_HIDDEN, IOU_HEAD_HIDDEN);
        linear(s, "mask_decoder.iou_prediction_head.layers.2.", IOU_HEAD_HIDDEN, MULTIMASK_OUTPUTS + 1);
    }

    private static void attention(Map<String, long[]> s, String p, long d, long internal) {
        linear(s, p + "q_proj.", d, internal);
        linear(s, p + "k_proj.", d, internal);
        linear(s, p + "v_proj.", d, internal);
        linear(s, p + "out_proj.", internal, d);
    }

    private static void linear(Map<String, long[]> s, String p, long in, long out) {
        s.put(p + "weight", new long[] {out, in});
        s.put(p + "bias", new long[] {out});
    }

    private static void layerNorm(Map<String, long[]> s, String p, long d) {
        s.put(p + "weight", new long[] {d});
        s.put(p + "bias", new long[] {d});
    }

    /** Values of the state dict (parameters and buffers), from the shapes. */
    public long parameterCount() {
        long n = 0;
        for (long[] shape : stateDictShapes().values()) {
            long size = 1;
            for (long x : shape) {
                size *= x;
            }
            n += size;
        }
        return n;
    }

    /**
     * Floating-point operations (2 per multiply-add) of one image-encoder forward at 1024 px: linear layers,
     * attention products, relative-position terms, patch embedding and neck.
     */
    public double encoderFlops() {
        double c = encoderEmbedDim;
        double total = 2.0 * GRID * GRID * c * 3 * PATCH_SIZE * PATCH_SIZE;
        for (int i = 0; i < encoderDepth; i++) {
            double tokens = isGlobal(i) ? (double) GRID * GRID : 25.0 * WINDOW_SIZE * WINDOW_SIZE;
            double perWindow = isGlobal(i) ? tokens : WINDOW_SIZE * WINDOW_SIZE;
            double side = isGlobal(i) ? GRID : WINDOW_SIZE;
            total += 24 * tokens * c * c;                       // qkv, proj, MLP
            total += 4 * tokens * perWindow * c;                // q kᵀ and attention · v
            total += 4 * tokens * side * c;                     // rel_h and rel_w
        }
        total += 2.0 * GRID * GRID * c * OUT_CHANS + 2.0 * GRID * GRID * OUT_CHANS * OUT_CHANS * 9;
        return total;
    }
}

package dev.clipsam.engine;

/**
 * Which models produced a result, as results, logs and services report it.
 *
 * @param clip       CLIP architecture and file, e.g. {@code ViT-L/14@336px (ViT-L-14-336px.pt)}
 * @param clipSha256 SHA-256 of the CLIP file
 * @param sam        SAM variant and file, or {@code none} without SAM
 * @param head       head type and file
 * @param precision  {@code fp32} or {@code bf16}
 * @param imageSize  the input size the head reads (the maps are this many pixels square)
 */
public record ModelIdentity(String clip, String clipSha256, String sam, String head, String precision,
        int imageSize) {
}

package dev.clipsam.engine;

/**
 * Seconds spent per part of one prediction.
 *
 * @param clip       CLIP image tower (preprocessing included)
 * @param head       the anomaly head (text features of a new class included)
 * @param samEncoder SAM's image encoder, 0 when SAM was not needed
 * @param samDecoder SAM's prompt encoder, mask decoder and postprocessing, and the fusion
 */
public record Timings(double clip, double head, double samEncoder, double samDecoder) {

    public double total() {
        return clip + head + samEncoder + samDecoder;
    }
}

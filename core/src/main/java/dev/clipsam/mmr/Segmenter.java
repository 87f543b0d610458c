package dev.clipsam.mmr;

import dev.clipsam.image.Image8;
import dev.clipsam.sam.SamPrompt;
import java.util.List;

/** What MMR needs from SAM: encode an image once, then decode prompts into masks on the map's grid. */
public interface Segmenter {

    /** Encodes the original image (SAM resizes it itself). */
    void setImage(Image8 image);

    /**
     * Decodes prompts of one shape (equal point counts) against the current image, with multimask output.
     *
     * @param grid S: the masks come back on the S x S grid of the image squashed to a square
     */
    GridMasks decode(List<SamPrompt> prompts, int grid);

    /**
     * Decoded masks of n prompts with c masks each.
     *
     * @param scores {@code [n, c]} predicted IoUs
     * @param logits {@code [n, c, S, S]} mask logits on the grid ({@code > 0} is the mask)
     */
    record GridMasks(int prompts, int masksPerPrompt, float[] scores, float[] logits) {
    }
}

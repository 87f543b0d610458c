package dev.clipsam.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipsam.image.Image8;
import dev.clipsam.image.ImageFiles;
import dev.clipsam.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegmentCommandTest {

    private static final Path SAM = Fixtures.suite("sam");
    private static final String CKPT = SAM.resolve("model/tiny-sam.pth").toString();
    private static final String IMAGE = SAM.resolve("preprocess_150x200/image.png").toString();

    @Test
    void writesTheBestMaskMatchingTheReferenceAndAnOverlay(@TempDir Path out) throws IOException {
        CliRunner.Result r = CliRunner.run("segment", "--sam", CKPT, "--image", IMAGE, "--box", "40,30,190,145",
                "--point", "70,60", "--point", "104,88", "--point", "150,118", "--out", out.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("score 0.3987"), r.out()); // the reference's best IoU for this prompt
        Image8 mask = ImageFiles.read(out.resolve("image_mask.png"));
        assertEquals(200, mask.width());
        assertEquals(150, mask.height());
        // predict_c_points3_box_multi: mask 0 is the best; compare where the reference logit is decisive.
        byte[] expected = Fixtures.npy(SAM.resolve("predict_c_points3_box_multi/masks.npy")).bytes();
        float[] logits = Fixtures.npy(SAM.resolve("predict_c_points3_box_multi/logits.npy")).floats();
        int compared = 0;
        for (int i = 0; i < 150 * 200; i++) {
            if (Math.abs(logits[i]) >= 0.005) {
                assertEquals(expected[i] != 0, mask.data()[i] != 0, "pixel " + i);
                compared++;
            }
        }
        assertTrue(compared > 29000);
        Image8 overlay = ImageFiles.read(out.resolve("image_overlay.png"));
        assertEquals(3, overlay.channels());
        assertFalse(java.util.Arrays.equals(ImageFiles.read(Path.of(IMAGE)).data(), overlay.data()));

        CliRunner.Result again = CliRunner.run("segment", "--sam", CKPT, "--image", IMAGE, "--box", "40,30,190,145",
                "--out", out.toString());
        assertEquals(2, again.exit(), "existing outputs are not overwritten silently");
        assertTrue(again.err().contains("exists; use --overwrite"), again.err());
    }

    @Test
    void badPromptsAndFilesGiveOneLineAndExitCode2(@TempDir Path dir) throws IOException {
        Path broken = Files.write(dir.resolve("broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        String clip = Fixtures.root().resolve("clip/model/tiny-clip-openai.pt").toString();
        String[][] cases = {
            {"--box", "10,10,250,100"},                        // right edge beyond the 200 px width
            {"--box", "100,50,20,120"},                        // inverted
            {"--point", "10,10,2"},                            // label neither 0 nor 1
            {"--point", "500,10"},                             // outside
            {},                                                // no prompt
        };
        for (String[] prompt : cases) {
            String[] args = concat(new String[] {"segment", "--sam", CKPT, "--image", IMAGE, "--out", dir.toString()},
                    prompt);
            CliRunner.Result r = CliRunner.run(args);
            assertEquals(2, r.exit(), String.join(" ", prompt) + ": " + r.err());
            assertTrue(r.err().startsWith("clipsam: "), r.err());
            assertFalse(r.err().contains("Exception"), r.err());
        }
        CliRunner.Result unreadable = CliRunner.run("segment", "--sam", CKPT, "--image", broken.toString(), "--box",
                "1,1,5,5", "--out", dir.toString());
        assertEquals(2, unreadable.exit());
        assertTrue(unreadable.err().startsWith("clipsam: " + broken + ": "), unreadable.err());
        CliRunner.Result wrongModel = CliRunner.run("segment", "--sam", clip, "--image", IMAGE, "--box", "1,1,5,5",
                "--out", dir.toString());
        assertEquals(2, wrongModel.exit());
        assertEquals("clipsam: " + clip + ": is not a Segment Anything checkpoint (no"
                + " image_encoder.patch_embed.proj.weight / mask_decoder.iou_token.weight)", wrongModel.err().strip());
        try (var files = Files.list(dir)) {
            assertArrayEquals(new Path[] {broken}, files.toArray(), "nothing written on failure");
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}

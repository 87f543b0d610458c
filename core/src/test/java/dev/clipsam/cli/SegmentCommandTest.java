package dev.clipsam.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.clipsam.image.Image8;
import dev.clipsam.image.ImageFiles;
import dev.clipsam.image.ImageWriter;
import dev.clipsam.testing.Fixtures;
import dev.clipsam.testing.Images;
import dev.clipsam.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegmentCommandTest {

    /** A multimask SAM predict case with points and a box (no mask input): the prompt the CLI is given. */
    private record PromptCase(Path dir, JsonNode json, Image8 image) {
        JsonNode inputs() {
            return json.path("inputs");
        }
    }

    private static PromptCase promptCase() {
        for (Path dir : Fixtures.cases("sam")) {
            JsonNode json = Fixtures.json(dir.resolve("case.json"));
            JsonNode in = json.path("inputs");
            if (json.path("kind").asText().equals("sam.predict") && json.path("parameters").path("multimask_output")
                    .asBoolean() && in.path("box").isArray() && in.path("point_coords").isArray()
                    && !in.path("mask_input").isObject() && Files.exists(dir.resolve(in.path("image").path("file").asText()))) {
                return new PromptCase(dir, json, Images.fromNpy(Fixtures.npy(dir.resolve(in.path("image").path("file")
                        .asText()))));
            }
        }
        throw new AssertionError("no multimask sam.predict case with points and a box under " + Fixtures.suite("sam"));
    }

    private static Path writeImage(Path dir, Image8 image) throws IOException {
        Path file = dir.resolve("part.png");
        ImageWriter.writePng(file, image);
        return file;
    }

    private static String csv(JsonNode numbers) {
        List<String> out = new ArrayList<>();
        numbers.forEach(n -> out.add(n.asText()));
        return String.join(",", out);
    }

    @Test
    void writesTheBestMaskMatchingTheReferenceAndAnOverlay(@TempDir Path in, @TempDir Path out) throws IOException {
        PromptCase c = promptCase();
        Path image = writeImage(in, c.image());
        List<String> args = new ArrayList<>(List.of("segment", "--sam", TinyModels.samCheckpoint().toString(),
                "--image", image.toString(), "--box", csv(c.inputs().path("box")), "--out", out.toString()));
        JsonNode points = c.inputs().path("point_coords");
        for (int i = 0; i < points.size(); i++) {
            args.add("--point");
            args.add(csv(points.get(i)) + "," + c.inputs().path("point_labels").get(i).asInt());
        }
        CliRunner.Result r = CliRunner.run(args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        JsonNode outputs = c.json().path("outputs");
        float[] scores = Fixtures.npy(c.dir().resolve(outputs.path("scores").path("file").asText())).floats();
        int best = 0;
        for (int m = 1; m < scores.length; m++) {
            best = scores[m] > scores[best] ? m : best;
        }
        assertTrue(r.out().contains(String.format("score %.4f", scores[best])), "the reference's best IoU "
                + scores[best] + " in " + r.out());
        int w = c.image().width();
        int h = c.image().height();
        Image8 mask = ImageFiles.read(out.resolve("part_mask.png"));
        assertEquals(w, mask.width());
        assertEquals(h, mask.height());
        // The best of the reference's masks, compared where the reference logit is decisive.
        JsonNode rule = outputs.path("masks").path("tolerance").path("mask_rule");
        byte[] expected = Fixtures.npy(c.dir().resolve(outputs.path("masks").path("file").asText())).bytes();
        float[] logits = Fixtures.npy(c.dir().resolve(rule.path("logits").asText())).floats();
        double margin = rule.path("margin").asDouble();
        int compared = 0;
        for (int i = 0; i < w * h; i++) {
            if (Math.abs(logits[best * w * h + i]) >= margin) {
                assertEquals(expected[best * w * h + i] != 0, mask.data()[i] != 0, "pixel " + i);
                compared++;
            }
        }
        assertTrue(compared > 0.9 * w * h, "compared " + compared + " of " + w * h + " pixels");
        Image8 overlay = ImageFiles.read(out.resolve("part_overlay.png"));
        assertEquals(3, overlay.channels());
        assertFalse(java.util.Arrays.equals(c.image().toRgb().data(), overlay.data()));

        CliRunner.Result again = CliRunner.run("segment", "--sam", TinyModels.samCheckpoint().toString(), "--image",
                image.toString(), "--box", csv(c.inputs().path("box")), "--out", out.toString());
        assertEquals(2, again.exit(), "existing outputs are not overwritten silently");
        assertTrue(again.err().contains("exists; use --overwrite"), again.err());
    }

    @Test
    void badPromptsAndFilesGiveOneLineAndExitCode2(@TempDir Path in, @TempDir Path dir) throws IOException {
        String ckpt = TinyModels.samCheckpoint().toString();
        Image8 picture = promptCase().image();
        String image = writeImage(in, picture).toString();
        int w = picture.width();
        int h = picture.height();
        Path broken = Files.write(dir.resolve("broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        String clip = TinyModels.clipTorchScript().toString();
        String[][] cases = {
            {"--box", "1,1," + (w + 50) + "," + h / 2},                  // right edge beyond the image's width
            {"--box", w / 2 + "," + h / 3 + "," + w / 10 + "," + h * 4 / 5}, // inverted
            {"--point", w / 2 + "," + h / 2 + ",2"},                     // label neither 0 nor 1
            {"--point", (w * 5 / 2) + ",1"},                             // outside
            {},                                                          // no prompt
        };
        for (String[] prompt : cases) {
            String[] args = concat(new String[] {"segment", "--sam", ckpt, "--image", image, "--out", dir.toString()},
                    prompt);
            CliRunner.Result r = CliRunner.run(args);
            assertEquals(2, r.exit(), String.join(" ", prompt) + ": " + r.err());
            assertTrue(r.err().startsWith("clipsam: "), r.err());
            assertFalse(r.err().contains("Exception"), r.err());
        }
        CliRunner.Result unreadable = CliRunner.run("segment", "--sam", ckpt, "--image", broken.toString(), "--box",
                "1,1,5,5", "--out", dir.toString());
        assertEquals(2, unreadable.exit());
        assertTrue(unreadable.err().startsWith("clipsam: " + broken + ": "), unreadable.err());
        CliRunner.Result wrongModel = CliRunner.run("segment", "--sam", clip, "--image", image, "--box", "1,1,5,5",
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

package dev.clipsam.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clipsam.image.Image8;
import dev.clipsam.image.ImageFiles;
import dev.clipsam.io.Npy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files and rows of a prediction, written without any model. */
class PredictionWriterTest {

    /** A 4 x 4 final map with one hot corner, for a 20 x 12 image. */
    private static Prediction prediction(double threshold) {
        float[] map = new float[16];
        map[0] = 0.9f;
        map[1] = 0.8f;
        return new Prediction(4, map, map, null, new float[0], 0.9, 0.2, threshold, 20, 12,
                new Timings(1.0, 0.5, 0, 0));
    }

    @Test
    void writesMaskOverlayMapAndRows(@TempDir Path out) throws IOException {
        Image8 image = new Image8(20, 12, 3, new byte[20 * 12 * 3]);
        PredictionWriter writer = new PredictionWriter(out, true);
        Prediction p = prediction(0.5);
        PredictionRow row = writer.write(Path.of("in/part.png"), "sub/part", "bottle", image, p);
        Image8 mask = ImageFiles.read(out.resolve("sub/part_mask.png"));
        assertEquals(20, mask.width());
        assertEquals(12, mask.height());
        int white = 0;
        for (byte b : mask.data()) {
            white += b != 0 ? 1 : 0;
        }
        assertEquals(p.atImageSize().defectPixels(), white, "mask = final map at image size > threshold");
        assertTrue(white > 0 && white < 20 * 12);
        Image8 overlay = ImageFiles.read(out.resolve("sub/part_overlay.png"));
        assertTrue(overlay.width() > 2 * 20 + 8 && overlay.height() > 12, "two panels, a colour bar, titles");
        assertEquals(16, Npy.read(out.resolve("sub/part_map.npy")).floats().length);
        assertEquals(white / 240.0, row.defectFraction(), 1e-12);
        assertEquals("sub/part_mask.png", row.mask());
        assertEquals(0, row.regions());

        writer.writeResults(List.of(row), new ObjectMapper().createObjectNode().put("class_name", "bottle"),
                List.of("broken.png: not an image"));
        List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        assertEquals(String.join(",", PredictionRow.CSV_HEADER), csv.get(0));
        assertEquals(2, csv.size());
        JsonNode json = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertEquals(0.9, json.path("images").get(0).path("score").asDouble());
        assertEquals(1.5, json.path("images").get(0).path("seconds").path("total").asDouble(), 1e-12);
        assertEquals("broken.png: not an image", json.path("skipped").get(0).asText());
        assertEquals(row.toJson(), json.path("images").get(0), "the JSON row is the row");
    }

    @Test
    void noMapUnlessAsked(@TempDir Path out) throws IOException {
        PredictionRow row = new PredictionWriter(out, false).write(Path.of("a.png"), "a", "object",
                new Image8(20, 12, 1, new byte[240]), prediction(1.0));
        assertNull(row.map());
        assertEquals(0, row.defectFraction(), "threshold 1: nothing is a defect");
        assertTrue(Files.notExists(out.resolve("a_map.npy")));
    }
}

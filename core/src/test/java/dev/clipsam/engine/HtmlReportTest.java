package dev.clipsam.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clipsam.image.Image8;
import dev.clipsam.image.ImageFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code report.html} in a real browser: headless Chromium (Debian's {@code chromium}, installed by .ci/run) renders
 * the page with no console error, every overlay of the gallery is there, and a screenshot is not blank.
 */
class HtmlReportTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    @Test
    void thePredictionReportRendersInChromium(@TempDir Path dir) throws Exception {
        PredictionWriter writer = new PredictionWriter(dir, false);
        List<PredictionRow> rows = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            float[] map = new float[16];
            map[i] = 0.3f * (i + 1);
            byte[] pixels = new byte[40 * 30 * 3];
            java.util.Arrays.fill(pixels, (byte) (60 + 40 * i));
            Prediction p = new Prediction(4, map, map, null, new float[0], map[i], map[i] / 2, 0.5, 40, 30,
                    new Timings(0.1, 0.1, 0, 0));
            rows.add(writer.write(Path.of("part " + i + ".png"), "part " + i, "bottle", new Image8(40, 30, 3, pixels),
                    p));
        }
        writer.writeResults(rows, new ObjectMapper().createObjectNode(), List.of());
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("head", "h.safetensors");
        settings.put("class_name", "bottle <&>");
        Path page = HtmlReport.predictions(dir, "test run", settings, rows, 0.5);
        String html = Files.readString(page);
        assertTrue(html.contains("bottle &lt;&amp;&gt;"), "text is escaped");
        assertEquals(3, html.split("<figure>", -1).length - 1, "one figure per image");
        assertTrue(!html.contains("http://") && !html.contains("https://") || html.contains("xmlns=\"http://www.w3"
                + ".org/2000/svg\""), "no network resources");

        assumeTrue(Files.isExecutable(CHROMIUM), "needs Debian's chromium at " + CHROMIUM);
        Path shot = dir.resolve("shot.png");
        List<String> cmd = List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + dir.resolve("profile"), "--window-size=900,700",
                "--enable-logging=stderr", "--v=0", "--screenshot=" + shot, page.toUri().toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("chromium.log")
                .toFile()).start();
        assertTrue(p.waitFor(90, TimeUnit.SECONDS), "chromium finished");
        String log = Files.readString(dir.resolve("chromium.log"));
        assertEquals(0, p.exitValue(), log);
        for (String line : log.lines().toList()) {
            assertTrue(!line.contains("CONSOLE") || !line.toLowerCase(java.util.Locale.ROOT).contains("error"),
                    "console error: " + line);
            assertTrue(!line.contains("Uncaught"), line);
        }
        Image8 screenshot = ImageFiles.read(shot);
        byte first = screenshot.data()[0];
        long different = 0;
        for (byte b : screenshot.data()) {
            different += b != first ? 1 : 0;
        }
        assertTrue(different > screenshot.data().length / 50, "a screenshot that is not blank");
    }
}

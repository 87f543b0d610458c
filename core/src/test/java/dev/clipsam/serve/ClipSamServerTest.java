package dev.clipsam.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clipsam.data.SyntheticDataset;
import dev.clipsam.engine.ClipSam;
import dev.clipsam.engine.EngineOptions;
import dev.clipsam.image.Image8;
import dev.clipsam.image.ImageFiles;
import dev.clipsam.image.ImageWriter;
import dev.clipsam.io.Npy;
import dev.clipsam.testing.TinyModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code clipsam serve} for real, over loopback: the tiny models in the training-free mode (references from a
 * synthetic class), requests as a camera PC would send them, and bad requests that get a status and a one-line
 * JSON error while the server keeps serving.
 */
@Tag("slow")
class ClipSamServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @TempDir
    static Path dir;
    static ClipSamServer server;
    static String base;
    static byte[] png;
    static Image8 image;
    static Path defectFile;
    static Path goodFolder;

    @BeforeAll
    static void start() throws IOException {
        SyntheticDataset.write(dir.resolve("data"), new SyntheticDataset.Spec(1, 3, 2, 96, 1));
        Path good;
        Path defect;
        try (Stream<Path> files = Files.walk(dir.resolve("data"))) {
            List<Path> all = files.filter(Files::isRegularFile).sorted().toList();
            good = all.stream().filter(p -> p.toString().contains("/good/")).findFirst().orElseThrow().getParent();
            defect = all.stream().filter(ImageFiles::hasImageExtension).filter(p -> !p.toString().contains("/good/")
                    && !p.toString().contains("ground_truth"))
                    .findFirst().orElseThrow();
        }
        png = Files.readAllBytes(defect);
        defectFile = defect;
        goodFolder = good;
        image = ImageFiles.read(defect);
        EngineOptions options = EngineOptions.builder().clip(TinyModels.clipTorchScript())
                .sam(TinyModels.samCheckpoint()).refs(List.of(good)).imageSize(TinyModels.clipImageSize())
                .stages(Arrays.stream(TinyModels.clipStages().split(",")).map(Integer::valueOf).toList()).build();
        server = new ClipSamServer(new ServerOptions("127.0.0.1", 0, 1, 2, 200_000, 8, Duration.ofSeconds(60), null),
                List.of(ClipSam.open(options)));
        base = "http://127.0.0.1:" + server.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static HttpResponse<byte[]> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return HTTP.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static HttpResponse<byte[]> get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(base + path)));
    }

    private static JsonNode json(HttpResponse<byte[]> r) throws IOException {
        return JSON.readTree(r.body());
    }

    /** A multipart form with an image field and text fields. */
    private static HttpRequest.Builder multipart(byte[] file, String... fields) throws IOException {
        String boundary = "clipsam-test-boundary";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (file != null) {
            body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"part.png\"\r\n"
                    + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            body.write(file);
            body.write("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        for (int i = 0; i < fields.length; i += 2) {
            body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + fields[i] + "\"\r\n\r\n"
                    + fields[i + 1] + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        body.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return HttpRequest.newBuilder(URI.create(base + "/v1/predict"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
    }

    private static void assertError(HttpResponse<byte[]> r, int status, String text) throws IOException {
        assertEquals(status, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
        JsonNode error = json(r);
        assertTrue(error.path("error").asText().contains(text), error.toString());
        assertEquals(1, error.size(), "one field: " + error);
    }

    @Test
    void predictsAFormUploadAndServesItsFiles() throws Exception {
        HttpResponse<byte[]> r = send(multipart(png, "class_name", "fabric"));
        assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
        JsonNode answer = json(r);
        assertEquals("fabric", answer.path("class_name").asText());
        assertTrue(answer.path("score").asDouble() >= 0 && answer.path("score").asDouble() <= 1);
        assertEquals(0.5, answer.path("threshold").asDouble(), "the calibrated references' default");
        assertTrue(answer.path("seconds").path("total").asDouble() > 0);
        assertEquals(TinyModels.clipSha256(TinyModels.clipTorchScript()),
                answer.path("model").path("clip_sha256").asText());
        Image8 mask = ImageFiles.read(get(answer.path("urls").path("mask").asText()).body(), "mask.png");
        assertEquals(image.width(), mask.width());
        assertEquals(image.height(), mask.height());
        assertEquals(200, get(answer.path("urls").path("overlay").asText()).statusCode());
        Path map = Files.write(dir.resolve("map.npy"), get(answer.path("urls").path("map").asText()).body());
        int grid = answer.path("grid").asInt();
        assertEquals(grid * grid, Npy.read(map).floats().length);
    }

    @Test
    void predictsARawBodyWithQueryOptions() throws Exception {
        HttpResponse<byte[]> r = send(HttpRequest.newBuilder(URI.create(base + "/v1/predict?threshold=0.2&inline=true"))
                .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(png)));
        assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
        JsonNode answer = json(r);
        assertEquals(0.2, answer.path("threshold").asDouble());
        byte[] mask = java.util.Base64.getDecoder().decode(answer.path("mask_png_base64").asText());
        assertEquals(image.width(), ImageFiles.read(mask, "inline mask").width());
    }

    @Test
    void badRequestsGetAStatusAndOneLineOfJsonAndTheServerGoesOn() throws Exception {
        assertError(send(HttpRequest.newBuilder(URI.create(base + "/v1/predict")).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("hello"))), 415, "send an image");
        assertError(send(HttpRequest.newBuilder(URI.create(base + "/v1/predict")).header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofString("not a png"))), 400, "not an image");
        assertError(send(multipart(null, "class_name", "x")), 400, "no 'image' file field");
        assertError(send(multipart(png, "threshold", "2")), 400, "threshold '2' is not a number in [0, 1]");
        assertError(get("/v1/results/nothing/mask.png"), 404, "no result nothing");
        byte[] big = new byte[300_000];
        assertError(send(HttpRequest.newBuilder(URI.create(base + "/v1/predict")).header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofByteArray(big))), 413, "");
        Path huge = Files.write(dir.resolve("huge.png"), dev.clipsam.cli.PipelineCommandsTestAccess.hugePngHeader());
        assertError(send(HttpRequest.newBuilder(URI.create(base + "/v1/predict")).header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofFile(huge))), 413, "more than the limit");
        assertEquals(200, get("/healthz").statusCode(), "still serving");
        assertEquals(200, send(multipart(png)).statusCode(), "still predicting");
        String metrics = new String(get("/metrics").body(), StandardCharsets.UTF_8);
        assertTrue(metrics.contains("clipsam_requests_total{endpoint=\"predict\",status=\"415\"}"), metrics);
        assertTrue(metrics.contains("clipsam_stage_seconds"), metrics);
    }

    @Test
    void fiftyRequestsAtOnceAreEachAnsweredAndTheServerGoesOn() throws Exception {
        assertEquals(200, send(multipart(png)).statusCode());
        long before = dev.clipsam.nn.TorchRuntime.rssBytes();
        List<java.util.concurrent.CompletableFuture<HttpResponse<byte[]>>> pending = new java.util.ArrayList<>();
        for (int i = 0; i < 50; i++) {
            pending.add(HTTP.sendAsync(multipart(png).timeout(Duration.ofSeconds(120)).build(),
                    HttpResponse.BodyHandlers.ofByteArray()));
        }
        int ok = 0;
        int busy = 0;
        for (var f : pending) {
            HttpResponse<byte[]> r = f.get(180, TimeUnit.SECONDS);
            if (r.statusCode() == 200) {
                ok++;
                assertTrue(json(r).path("score").isNumber(), new String(r.body(), StandardCharsets.UTF_8));
            } else {
                assertError(r, 503, "busy");
                assertEquals("1", r.headers().firstValue("Retry-After").orElse(""), "Retry-After on 503");
                busy++;
            }
        }
        assertEquals(50, ok + busy);
        assertTrue(ok >= 1, "some requests were served: " + ok);
        assertEquals(200, send(multipart(png)).statusCode(), "still predicting after the burst");
        long after = dev.clipsam.nn.TorchRuntime.rssBytes();
        System.out.printf("RSS before the burst %d MiB, after %d MiB%n", before >> 20, after >> 20);
        assertTrue(after <= before * 1.10, "RSS after the burst within 10 % of before: " + (before >> 20) + " -> "
                + (after >> 20) + " MiB");
    }

    @Test
    void modelsHealthAndReadiness() throws Exception {
        assertEquals("ok", json(get("/healthz")).path("status").asText());
        assertEquals("ready", json(get("/readyz")).path("status").asText());
        JsonNode models = json(get("/v1/models"));
        assertTrue(models.path("head").asText().contains("reference images"), models.toString());
    }

    @Test
    void thePageLoadsItsModelsInChromium() throws Exception {
        Path chromium = Path.of("/usr/bin/chromium");
        assumeTrue(Files.isExecutable(chromium), "needs Debian's chromium at " + chromium);
        Process p = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + dir.resolve("profile"), "--virtual-time-budget=5000",
                "--dump-dom", base + "/").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String dom = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(90, TimeUnit.SECONDS));
        assertTrue(dom.contains("CLIP ViT"), "the page's script fetched /v1/models: " + dom);
        assertTrue(dom.contains("id=\"threshold\""), dom);
    }

    @Test
    void theServiceAnswersWhatTheCliWrites() throws Exception {
        Path out = dir.resolve("cli");
        int exit = dev.clipsam.cli.ClipSamCommand.run("predict", "--clip", TinyModels.clipTorchScript().toString(),
                "--sam", TinyModels.samCheckpoint().toString(), "--refs", goodFolder.toString(), "--image-size",
                String.valueOf(TinyModels.clipImageSize()), "--stages", TinyModels.clipStages(), defectFile.toString(),
                "--out", out.toString());
        assertEquals(0, exit);
        JsonNode row = JSON.readTree(out.resolve("results.json").toFile()).path("images").get(0);
        JsonNode answer = json(send(multipart(png)));
        assertEquals(row.path("score").asDouble(), answer.path("score").asDouble(), 0.0, "score");
        assertEquals(row.path("defect_fraction").asDouble(), answer.path("defect_fraction").asDouble(), 0.0);
        Image8 cliMask = ImageFiles.read(out.resolve(row.path("mask").asText()));
        Image8 served = ImageFiles.read(get(answer.path("urls").path("mask").asText()).body(), "mask.png");
        assertTrue(Arrays.equals(cliMask.data(), served.data()), "the same mask pixels");
    }

    /** A PUT of reference images as multipart fields {@code image}. */
    private static HttpRequest.Builder references(String className, List<byte[]> files) throws IOException {
        String boundary = "clipsam-refs-boundary";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (int i = 0; i < files.size(); i++) {
            body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"good" + i
                    + ".png\"\r\nContent-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            body.write(files.get(i));
            body.write("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        body.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return HttpRequest.newBuilder(URI.create(base + "/v1/classes/" + className + "/refs"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
    }

    @Test
    void referencesUploadedForAClassAreWhatItsImagesAreComparedWith() throws Exception {
        List<Path> good;
        try (Stream<Path> files = Files.list(goodFolder)) {
            good = files.filter(ImageFiles::hasImageExtension).sorted().limit(2).toList();
        }
        List<byte[]> bytes = new java.util.ArrayList<>();
        for (Path f : good) {
            bytes.add(Files.readAllBytes(f));
        }
        HttpResponse<byte[]> put = send(references("widget", bytes));
        assertEquals(200, put.statusCode(), new String(put.body(), StandardCharsets.UTF_8));
        assertEquals(2, json(put).path("references").asInt());
        assertEquals(2, json(get("/v1/classes")).path("classes").path("widget").path("references").asInt());

        Path out = dir.resolve("cli-widget");
        int exit = dev.clipsam.cli.ClipSamCommand.run("predict", "--clip", TinyModels.clipTorchScript().toString(),
                "--sam", TinyModels.samCheckpoint().toString(), "--refs", good.get(0) + "," + good.get(1),
                "--image-size", String.valueOf(TinyModels.clipImageSize()), "--stages", TinyModels.clipStages(),
                "--class-name", "widget", defectFile.toString(), "--out", out.toString());
        assertEquals(0, exit);
        JsonNode row = JSON.readTree(out.resolve("results.json").toFile()).path("images").get(0);
        JsonNode answer = json(send(multipart(png, "class_name", "widget")));
        assertEquals(row.path("score").asDouble(), answer.path("score").asDouble(), 0.0, "the class's references");
        JsonNode others = json(send(multipart(png)));
        assertTrue(others.path("score").isNumber(), "other classes keep the server's references");

        assertError(send(references("widget", List.of())), 400, "multipart fields named 'image'");
        assertError(send(references("widget", List.of("not an image".getBytes(StandardCharsets.UTF_8)))), 400,
                "good0.png");
        assertEquals(2, json(get("/v1/classes")).path("classes").path("widget").path("references").asInt(),
                "a refused upload changes nothing");
    }

    @Test
    void aUserUploadsAnImageAndMovesTheThresholdSliderInChromium() throws Exception {
        Path chromium = Path.of("/usr/bin/chromium");
        Path driverFile = Path.of("/usr/bin/chromedriver");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(chromium) && Files.isExecutable(driverFile),
                "needs Debian's chromium and chromium-driver");
        org.openqa.selenium.chrome.ChromeOptions options = new org.openqa.selenium.chrome.ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1100,1200", "--user-data-dir=" + dir.resolve("chromium-profile"));
        org.openqa.selenium.chrome.ChromeDriverService service = new org.openqa.selenium.chrome.ChromeDriverService
                .Builder().usingDriverExecutable(driverFile.toFile()).usingAnyFreePort().build();
        org.openqa.selenium.chrome.ChromeDriver page = new org.openqa.selenium.chrome.ChromeDriver(service, options);
        try {
            org.openqa.selenium.support.ui.WebDriverWait wait = new org.openqa.selenium.support.ui.WebDriverWait(page,
                    Duration.ofSeconds(60));
            page.get(base + "/");
            wait.until(d -> d.findElement(org.openqa.selenium.By.id("model")).getText().startsWith("CLIP"));
            page.findElement(org.openqa.selenium.By.id("file")).sendKeys(defectFile.toAbsolutePath().toString());
            wait.until(d -> d.findElement(org.openqa.selenium.By.id("score")).getText().startsWith("score "));
            double served = json(send(multipart(png))).path("score").asDouble();
            String shown = page.findElement(org.openqa.selenium.By.id("score")).getText();
            assertTrue(shown.startsWith(String.format(java.util.Locale.ROOT, "score %.3f", served)), shown);
            assertTrue(page.findElement(org.openqa.selenium.By.id("status")).getText().isEmpty(), "no error shown");

            // the slider redraws the mask from the map in the page: everything at 0, nothing at 1
            String tint = "const s = document.getElementById('threshold'); s.value = arguments[0];"
                    + " s.dispatchEvent(new Event('input'));"
                    + " const c = document.getElementById('maskView'); const d = c.getContext('2d')"
                    + ".getImageData(0, 0, c.width, c.height).data; let red = 0;"
                    + " for (let i = 0; i < d.length; i += 4) red += d[i]; return red / (d.length / 4);";
            wait.until(d -> ((Number) page.executeScript(tint, "0.5")).doubleValue() > 0);
            double all = ((Number) page.executeScript(tint, "0")).doubleValue();
            assertEquals("0.00", page.findElement(org.openqa.selenium.By.id("thrValue")).getText());
            double none = ((Number) page.executeScript(tint, "1")).doubleValue();
            assertEquals("1.00", page.findElement(org.openqa.selenium.By.id("thrValue")).getText());
            assertTrue(all > none + 10, "the mask tint follows the slider: mean red " + all + " at 0, " + none + " at 1");
            page.executeScript(tint, String.valueOf(served - 0.01));

            byte[] shot = page.getScreenshotAs(org.openqa.selenium.OutputType.BYTES);
            Path file = Path.of("target", "serve-page.png");
            Files.write(file, shot);
            Image8 picture = ImageFiles.read(shot, "serve-page.png");
            long distinct = java.util.stream.IntStream.range(0, picture.data().length / 3)
                    .map(i -> (picture.data()[3 * i] & 0xff) << 16 | (picture.data()[3 * i + 1] & 0xff) << 8
                            | picture.data()[3 * i + 2] & 0xff).distinct().count();
            assertTrue(distinct > 50, "a page with images on it, not a blank screenshot (" + distinct + " colours)");
        } finally {
            page.quit();
            service.stop();
        }
    }

    @Test
    void perRequestMmrOptionsAndNoSam() throws Exception {
        JsonNode rough = json(send(multipart(png, "no_sam", "true")));
        assertEquals(0, rough.path("regions").size(), "no SAM, no regions");
        assertEquals(0.0, rough.path("seconds").path("sam_encoder").asDouble(), 0.0);
        JsonNode everything = json(send(multipart(png, "mmr_threshold", "0", "points", "2", "seed", "7")));
        assertTrue(everything.path("regions").size() >= 1, "at MMR threshold 0 the whole map is a region");
        for (JsonNode region : everything.path("regions")) {
            assertEquals(2, region.path("points").size(), "two points per region: " + region);
        }
        assertError(send(multipart(png, "points", "0")), 400, "points '0' is not an integer in [1, 64]");
        assertError(send(multipart(png, "min_area", "-5")), 400, "min_area");
        assertError(send(multipart(png, "no_sam", "maybe")), 400, "no_sam 'maybe'");
    }

    @Test
    void aRequestInFlightIsAnsweredWhenTheServerStops() throws Exception {
        EngineOptions options = EngineOptions.builder().clip(TinyModels.clipTorchScript())
                .sam(TinyModels.samCheckpoint()).refs(List.of(goodFolder)).imageSize(TinyModels.clipImageSize())
                .stages(Arrays.stream(TinyModels.clipStages().split(",")).map(Integer::valueOf).toList()).build();
        ClipSamServer other = new ClipSamServer(new ServerOptions("127.0.0.1", 0, 1, 2, 50_000_000, 8,
                Duration.ofSeconds(60), null, "http://line.example", Duration.ofSeconds(2)),
                List.of(ClipSam.open(options)));
        String root = "http://127.0.0.1:" + other.start();
        String url = root + "/v1/predict?mmr_threshold=0";
        HttpResponse<byte[]> allowed = send(HttpRequest.newBuilder(URI.create(root + "/v1/models"))
                .header("Origin", "http://line.example"));
        assertEquals("http://line.example", allowed.headers().firstValue("Access-Control-Allow-Origin").orElse(""),
                "--cors-origin lets that origin's pages call the API");
        assertTrue(send(HttpRequest.newBuilder(URI.create(base + "/v1/models")).header("Origin",
                "http://line.example")).headers().firstValue("Access-Control-Allow-Origin").isEmpty(),
                "CORS is off by default");
        // results are kept for --keep-minutes (2 s here), then evicted
        JsonNode kept = JSON.readTree(send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofByteArray(png))).body());
        String maskUrl = root + kept.path("urls").path("mask").asText();
        assertEquals(200, send(HttpRequest.newBuilder(URI.create(maskUrl))).statusCode(), "kept while young");
        Thread.sleep(2500);
        assertError(send(HttpRequest.newBuilder(URI.create(maskUrl))), 404, "evicted");

        // a large image keeps the request busy long enough to stop the server under it
        byte[] large = ImageWriter.png(ImageWriter.toBufferedImage(new Image8(2400, 2400, 3,
                java.util.Arrays.copyOf(image.data(), 2400 * 2400 * 3))));
        java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> answer = HTTP.sendAsync(HttpRequest.newBuilder(
                URI.create(url)).header("Content-Type", "image/png").timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofByteArray(large)).build(), HttpResponse.BodyHandlers.ofByteArray());
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (other.inFlight() == 0 && !answer.isDone() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(other.inFlight() > 0, "the request is in flight");
        other.close();
        HttpResponse<byte[]> r = answer.get(60, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
        assertTrue(json(r).path("score").isNumber());
        assertThrows(java.io.IOException.class, () -> HTTP.send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofByteArray()),
                "no longer listening");
    }
}

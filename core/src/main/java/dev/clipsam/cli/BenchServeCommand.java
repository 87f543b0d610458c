package dev.clipsam.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clipsam.clip.ClipModel;
import dev.clipsam.image.ImageWriter;
import dev.clipsam.nn.Precision;
import dev.clipsam.nn.TorchRuntime;
import dev.clipsam.sam.SamModel;
import dev.clipsam.serve.ClipSamServer;
import dev.clipsam.serve.ServerOptions;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code clipsam bench serve}: the service under load over loopback, against the engine's own time per image. */
@Command(name = "serve", description = {
    "Start clipsam serve on loopback (one worker) with the paper's shapes and random weights (CLIP ViT-L/14@336 at"
        + " 518 px, the UMCI head, SAM ViT-H) and post a synthetic PNG from 1 and then more clients: requests per"
        + " second and p50 / p95 latency for a normal image (mmr_threshold=1: SAM skipped) and an anomalous one"
        + " (mmr_threshold=0: the whole map is one region SAM refines), next to the engine's own seconds per image;"
        + " the difference is the service's overhead (upload, decode, encode of mask and overlay, HTTP)."})
final class BenchServeCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Option(names = "--clients", split = ",", defaultValue = "1,4", description = "Concurrent clients, one run each"
            + " (default: ${DEFAULT-VALUE}).")
    List<Integer> clients;

    @Option(names = "--requests", defaultValue = "4", description = "Requests per run and case (default:"
            + " ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--cases", split = ",", defaultValue = "normal,anomalous", description = "normal, anomalous"
            + " (default: ${DEFAULT-VALUE}).")
    List<String> cases;

    @Option(names = "--image-px", defaultValue = "1024", description = "Side of the posted image (default:"
            + " ${DEFAULT-VALUE}).")
    int imagePx;

    @Option(names = "--precision", defaultValue = "fp32", description = "fp32, bf16 or int8.")
    Precision precision;

    @Option(names = "--sam-model", defaultValue = "vit_h", paramLabel = "M", description = "vit_b, vit_l or vit_h.")
    BenchSamCommand.Variant sam;

    @Override
    public Integer call() throws Exception {
        common.apply();
        if (requests < 1 || clients.stream().anyMatch(c -> c < 1 || c > 64)
                || cases.stream().anyMatch(c -> !c.equals("normal") && !c.equals("anomalous"))) {
            throw new UserInputException("--requests at least 1, --clients 1 to 64, --cases normal,anomalous");
        }
        PrintWriter out = spec.commandLine().getOut();
        BenchPredictCommand.PaperModels models = BenchPredictCommand.PaperModels.random(precision, sam.config, 518);
        ClipModel clip = models.clip();
        SamModel samModel = models.sam();
        byte[] png = ImageWriter.png(ImageWriter.toBufferedImage(BenchPredictCommand.texture(imagePx)));
        ObjectMapper json = new ObjectMapper();
        try (models; ClipSamServer server = new ClipSamServer(new ServerOptions("127.0.0.1", 0, 1, 64, 64L << 20, 16,
                Duration.ofMinutes(30), null), List.of(models.engine()))) {
            String base = "http://127.0.0.1:" + server.start() + "/v1/predict?mmr_threshold=";
            HttpClient http = HttpClient.newHttpClient();
            out.printf(Locale.ROOT, "clipsam serve, 1 worker, %d threads, %s, %dx%d PNG (%d KB); CLIP %s, SAM %s%n",
                    TorchRuntime.threads(), precision.name().toLowerCase(Locale.ROOT), imagePx, imagePx,
                    png.length / 1024, clip.config().name(), samModel.config().name());
            out.printf("%-10s %7s %8s %9s %9s %9s %12s %9s%n", "image", "clients", "requests", "req/s", "p50 s",
                    "p95 s", "engine s/img", "overhead");
            out.flush();
            for (String c : cases) {
                String url = base + (c.equals("normal") ? "1" : "0");
                send(http, url, png);   // warm-up: text features, kernel choices, first-touch memory
                for (int n : clients) {
                    List<Double> latency = Collections.synchronizedList(new ArrayList<>());
                    List<Double> engineSeconds = Collections.synchronizedList(new ArrayList<>());
                    ExecutorService pool = Executors.newFixedThreadPool(n);
                    long t0 = System.nanoTime();
                    List<Future<?>> done = new ArrayList<>();
                    for (int r = 0; r < requests * n; r++) {
                        done.add(pool.submit(() -> {
                            long s = System.nanoTime();
                            HttpResponse<byte[]> a = send(http, url, png);
                            latency.add((System.nanoTime() - s) / 1e9);
                            engineSeconds.add(json.readTree(a.body()).path("seconds").path("total").asDouble());
                            return null;
                        }));
                    }
                    for (Future<?> f : done) {
                        f.get();
                    }
                    double wall = (System.nanoTime() - t0) / 1e9;
                    pool.shutdown();
                    List<Double> sorted = new ArrayList<>(latency);
                    Collections.sort(sorted);
                    double engineMean = engineSeconds.stream().mapToDouble(Double::doubleValue).average().orElse(0);
                    double perImage = wall / sorted.size();   // one worker: images are served one after another
                    out.printf(Locale.ROOT, "%-10s %7d %8d %9.3f %9.2f %9.2f %12.2f %8.1f%%%n", c, n, sorted.size(),
                            sorted.size() / wall, percentile(sorted, 0.5), percentile(sorted, 0.95), engineMean,
                            100 * (perImage - engineMean) / engineMean);
                    out.flush();
                }
            }
        }
        return 0;
    }

    private static HttpResponse<byte[]> send(HttpClient http, String url, byte[] png) throws Exception {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "image/png")
                .timeout(Duration.ofMinutes(30)).POST(HttpRequest.BodyPublishers.ofByteArray(png)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("the server answered " + r.statusCode() + ": "
                    + new String(r.body(), java.nio.charset.StandardCharsets.UTF_8));
        }
        return r;
    }

    private static double percentile(List<Double> sorted, double q) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
    }

}

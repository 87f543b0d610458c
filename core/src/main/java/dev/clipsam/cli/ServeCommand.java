package dev.clipsam.cli;

import dev.clipsam.engine.ClipSam;
import dev.clipsam.engine.EngineOptions;
import dev.clipsam.serve.ClipSamServer;
import dev.clipsam.serve.ServerOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code clipsam serve}: the models held in memory behind an HTTP API and a page to try images on. */
@Command(name = "serve", description = {
    "Serve ClipSAM over HTTP: POST /v1/predict (an image as a multipart field 'image' or a raw image body;"
        + " class_name and threshold as form fields or query parameters) answers with the score, regions, timings"
        + " and links to the mask, overlay and map; GET / is a page to try images and move the threshold;"
        + " /v1/models, /healthz, /readyz and /metrics (Prometheus) tell how it is doing.",
    "Binds 127.0.0.1 unless --host says otherwise. Stops on Ctrl-C."})
final class ServeCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Mixin
    ModelOptions models;

    @Mixin
    MmrOptions mmr;

    @Spec
    CommandSpec spec;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port, 0 for any free one (default:"
            + " ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--workers", defaultValue = "1", description = "Predictions at once, each with its own copy of"
            + " the models (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--queue", defaultValue = "16", description = "Requests that may wait; more get 503 (default:"
            + " ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--max-image-mb", defaultValue = "32", description = "Largest upload in MB (default:"
            + " ${DEFAULT-VALUE}).")
    int maxImageMb;

    @Option(names = "--keep-minutes", defaultValue = "60", description = "Minutes a result stays under /v1/results"
            + " (default: ${DEFAULT-VALUE}).")
    int keepMinutes;

    @Option(names = "--keep-results", defaultValue = "256", description = "Results kept for /v1/results (default:"
            + " ${DEFAULT-VALUE}; oldest first out).")
    int keepResults;

    @Option(names = "--cors-origin", paramLabel = "ORIGIN", description = "Let pages of this origin (e.g."
            + " https://line.example.com) call the API from a browser; CORS is off without it.")
    String corsOrigin;

    @Option(names = "--timeout", defaultValue = "120", description = "Seconds a request may wait for its answer"
            + " (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--threshold", paramLabel = "T", description = "Default mask threshold (default: the head's).")
    Double threshold;

    @Option(names = "--api-key-file", paramLabel = "FILE", description = "A file holding the key every /v1 request"
            + " must send (Authorization: Bearer <key>, or X-API-Key); required when --host is not loopback.")
    Path apiKeyFile;

    @Option(names = "--insecure-no-auth", description = "Serve a non-loopback --host without an API key.")
    boolean insecureNoAuth;

    @Override
    public Integer call() throws IOException, InterruptedException {
        common.apply();
        EngineOptions engineOptions = models.options(mmr, threshold, !mmr.noSam);
        if (workers < 1 || queue < 0 || maxImageMb < 1 || keepResults < 1 || keepMinutes < 1 || timeoutSeconds < 1
                || port < 0 || port > 65535) {
            throw new UserInputException("--workers, --max-image-mb, --keep-results, --keep-minutes and --timeout must be at"
                    + " least 1,"
                    + " --queue at least 0, --port 0 to 65535");
        }
        boolean loopback = host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1");
        if (!loopback && apiKeyFile == null && !insecureNoAuth) {
            throw new UserInputException("--host " + host + " is reachable from other machines: give --api-key-file"
                    + " (or --insecure-no-auth to serve without a key)");
        }
        String key = null;
        if (apiKeyFile != null) {
            if (!Files.isRegularFile(apiKeyFile)) {
                throw new UserInputException(apiKeyFile + ": file not found");
            }
            key = Files.readString(apiKeyFile).strip();
            if (key.isEmpty()) {
                throw new UserInputException(apiKeyFile + ": holds no key");
            }
        }
        ServerOptions options;
        try {
            options = new ServerOptions(host, port, workers, queue, (long) maxImageMb << 20, keepResults,
                    Duration.ofSeconds(timeoutSeconds), key, corsOrigin, Duration.ofMinutes(keepMinutes));
        } catch (IllegalArgumentException e) {
            throw new UserInputException(e.getMessage());
        }
        List<ClipSam> engines = new ArrayList<>();
        try {
            for (int i = 0; i < workers; i++) {
                engines.add(ClipSam.open(engineOptions));
            }
        } catch (RuntimeException | IOException e) {
            engines.forEach(ClipSam::close);
            throw e;
        }
        PrintWriter console = spec.commandLine().getOut();
        CountDownLatch stopped = new CountDownLatch(1);
        ClipSamServer server = new ClipSamServer(options, engines);
        // SIGTERM / SIGINT: the hook finishes the running predictions, stops listening and frees the models
        // before the JVM ends (the JVM waits for its hooks, not for this thread)
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "clipsam-serve-stop"));
        int bound = server.start();
        console.printf("clipsam serve: CLIP %s, head %s, SAM %s; listening on http://%s:%d/ (Ctrl-C stops)%n",
                engines.get(0).identity().clip(), engines.get(0).identity().head(), engines.get(0).identity().sam(),
                host, bound);
        console.flush();
        stopped.await();
        return 0;
    }
}

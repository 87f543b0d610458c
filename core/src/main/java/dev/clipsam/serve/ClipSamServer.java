package dev.clipsam.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clipsam.engine.ClipSam;
import dev.clipsam.engine.ModelIdentity;
import dev.clipsam.engine.Prediction;
import dev.clipsam.engine.PredictionWriter;
import dev.clipsam.image.Image8;
import dev.clipsam.image.ImageFiles;
import dev.clipsam.image.ImageReadException;
import dev.clipsam.image.ImageWriter;
import dev.clipsam.io.Npy;
import dev.clipsam.mmr.MmrConfig;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import io.javalin.http.staticfiles.Location;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ClipSAM over HTTP (Javalin 7 on Jetty 12): engines opened once and shared by the requests, a bounded queue in
 * front of them, results kept for a while under an id, Prometheus metrics, and a page to try images on. Every
 * prediction goes through {@link ClipSam#predict}: the server adds transport, not a second prediction path.
 *
 * <p>{@code POST /v1/predict} takes a multipart form (field {@code image}, optional {@code class_name},
 * {@code threshold}) or a raw image body with the options as query parameters; bad requests are answered with a
 * status and {@code {"error": "..."}} and the server keeps serving.
 */
public final class ClipSamServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClipSamServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A kept result: what {@code /v1/results/{id}/...} serves. */
    private record Stored(byte[] mask, byte[] overlay, byte[] map, long madeAt) {
    }

    /** A request's answer or its refusal. */
    static final class HttpError extends RuntimeException {
        final int status;
        final boolean retry;

        HttpError(int status, String message) {
            this(status, null, message);
        }

        /** @param retry non-null: the client may try again shortly ({@code Retry-After}) */
        HttpError(int status, String retry, String message) {
            super(message);
            this.status = status;
            this.retry = retry != null;
        }
    }

    private final ServerOptions options;
    private final BlockingQueue<ClipSam> engines;
    private final List<ClipSam> allEngines;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean stopping;
    private boolean closed;
    /** Reference images one request may give a class. */
    static final int MAX_REFERENCES = 32;
    private final ModelIdentity identity;
    private final double defaultThreshold;
    private final ExecutorService workers;
    private final Semaphore admission;
    private final AtomicInteger waiting = new AtomicInteger();
    private final Map<String, Stored> results;
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Javalin app;

    /** @param engines one per worker, opened by the caller, closed with the server */
    public ClipSamServer(ServerOptions options, List<ClipSam> engines) {
        if (engines.size() != options.workers()) {
            throw new IllegalArgumentException("one engine per worker: " + options.workers() + " workers, "
                    + engines.size() + " engines");
        }
        this.options = options;
        this.engines = new ArrayBlockingQueue<>(engines.size(), false, engines);
        this.allEngines = List.copyOf(engines);
        this.identity = engines.get(0).identity();
        this.defaultThreshold = engines.get(0).threshold();
        this.workers = Executors.newFixedThreadPool(options.workers(), r -> {
            Thread t = new Thread(r, "clipsam-worker");
            t.setDaemon(true);
            return t;
        });
        this.admission = new Semaphore(options.workers() + options.queue());
        this.results = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Stored> eldest) {
                return size() > options.keepResults();
            }
        };
        metrics.gauge("clipsam_queue_depth", waiting);
        this.app = Javalin.create(config -> {
            config.jetty.host = options.host();
            config.jetty.port = options.port();
            config.http.maxRequestSize = options.maxImageBytes() + 64 * 1024;
            config.jetty.multipartConfig.maxFileSize(options.maxImageBytes(), io.javalin.config.SizeUnit.BYTES);
            // a form holds one image to predict, or up to MAX_REFERENCES reference images of a class
            config.jetty.multipartConfig.maxTotalRequestSize(MAX_REFERENCES * options.maxImageBytes() + 64 * 1024,
                    io.javalin.config.SizeUnit.BYTES);
            config.staticFiles.add(staticFiles -> {
                staticFiles.hostedPath = "/";
                staticFiles.directory = "/dev/clipsam/serve/web";
                staticFiles.location = Location.CLASSPATH;
            });
            if (options.corsOrigin() != null) {   // CORS stays off unless an origin is given
                config.bundledPlugins.enableCors(cors -> cors.addRule(rule -> rule.allowHost(options.corsOrigin())));
            }
            config.routes.before("/v1/*", this::authorise);
            config.routes.post("/v1/predict", this::predict);
            config.routes.get("/v1/results/{id}/{file}", this::result);
            config.routes.get("/v1/models", ctx -> ctx.json(models()));
            config.routes.put("/v1/classes/{name}/refs", this::putReferences);
            config.routes.get("/v1/classes", this::classes);
            config.routes.get("/healthz", ctx -> ctx.json(Map.of("status", "ok")));
            config.routes.get("/readyz", this::ready);
            config.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4").result(metrics.scrape()));
            config.routes.exception(HttpError.class, (e, ctx) -> {
                if (e.retry) {
                    ctx.header("Retry-After", "1");
                }
                error(ctx, e.status, e.getMessage());
            });
            // An image over --max-pixels is refused from its header: too large, like an oversized body.
            config.routes.exception(ImageReadException.class, (e, ctx) -> error(ctx,
                    e.getMessage().contains("more than the limit") ? 413 : 400, e.getMessage()));
            config.routes.exception(Exception.class, (e, ctx) -> {
                LOG.error("request {} {} failed", ctx.method(), ctx.path(), e);
                error(ctx, 500, "internal error: " + e);
            });
            config.routes.error(404, "*", ctx -> {
                if (!isJson(ctx.result())) {
                    error(ctx, 404, "no such resource: " + ctx.path());
                }
            });
            config.routes.error(413, "*", ctx -> {
                if (!isJson(ctx.result())) {   // the body limit, before anything of the request was read
                    error(ctx, 413, "request larger than --max-image-mb allows (" + options.maxImageBytes()
                            + " bytes)");
                }
            });
        });
    }

    /** Starts listening; returns the port (useful with port 0). */
    public int start() {
        app.start();
        LOG.info("clipsam serve listening on http://{}:{} ({} workers, queue {})", options.host(), app.port(),
                options.workers(), options.queue());
        return app.port();
    }

    public int port() {
        return app.port();
    }

    private void authorise(Context ctx) {
        String key = options.apiKey();
        if (key == null) {
            return;
        }
        String bearer = ctx.header("Authorization");
        String given = bearer != null && bearer.startsWith("Bearer ") ? bearer.substring(7) : ctx.header("X-API-Key");
        // Compared in constant time; the key is never logged.
        if (given == null || !java.security.MessageDigest.isEqual(key.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                given.getBytes(java.nio.charset.StandardCharsets.UTF_8))) {
            throw new HttpError(401, "missing or wrong API key (Authorization: Bearer <key>, or X-API-Key)");
        }
    }

    private void predict(Context ctx) throws Exception {
        Timer.Sample total = Timer.start(metrics);
        String status = "200";
        inFlight.incrementAndGet();
        try {
            if (stopping) {
                throw new HttpError(503, "retry", "the server is shutting down");
            }
            byte[] bytes;
            String name;
            UploadedFile upload = ctx.isMultipartFormData() ? ctx.uploadedFile("image") : null;
            if (ctx.isMultipartFormData()) {
                if (upload == null) {
                    throw new HttpError(400, "the form has no 'image' file field");
                }
                try (InputStream in = upload.content()) {
                    bytes = in.readAllBytes();
                }
                name = upload.filename();
            } else {
                String type = ctx.contentType() == null ? "" : ctx.contentType().toLowerCase(Locale.ROOT);
                if (!type.startsWith("image/")) {
                    throw new HttpError(415, "send an image (multipart field 'image', or a body of type image/png,"
                            + " image/jpeg, image/bmp or image/tiff), not '" + type + "'");
                }
                bytes = ctx.bodyAsBytes();
                name = "upload";
            }
            if (bytes.length == 0) {
                throw new HttpError(400, "the image is empty");
            }
            if (bytes.length > options.maxImageBytes()) {
                throw new HttpError(413, "image of " + bytes.length + " bytes, more than --max-image-mb allows");
            }
            String className = parameter(ctx, "class_name");
            Double threshold = fraction(parameter(ctx, "threshold"), "threshold");
            boolean inline = "true".equalsIgnoreCase(ctx.queryParam("inline"));
            boolean noSam = flag(parameter(ctx, "no_sam"), "no_sam");
            MmrConfig mmr = mmrOptions(ctx);
            Image8 image = ImageFiles.read(bytes, name);
            Prediction p = run(image, className, mmr, noSam);
            if (threshold != null) {
                p = p.withThreshold(threshold);
            }
            ctx.json(answer(p, image, className, inline));
        } catch (HttpError e) {
            status = String.valueOf(e.status);
            throw e;
        } catch (ImageReadException e) {
            status = e.getMessage().contains("more than the limit") ? "413" : "400";
            throw e;
        } finally {
            inFlight.decrementAndGet();
            total.stop(metrics.timer("clipsam_request_seconds", "endpoint", "predict", "status", status));
            metrics.counter("clipsam_requests_total", "endpoint", "predict", "status", status).increment();
        }
    }

    /** One prediction on a free engine: admitted within the queue's bound, answered within the timeout. */
    private Prediction run(Image8 image, String className, MmrConfig mmr, boolean noSam) throws Exception {
        if (!admission.tryAcquire()) {
            metrics.counter("clipsam_rejections_total", "reason", "queue_full").increment();
            throw new HttpError(503, "retry", "busy: " + options.workers() + " predictions running and "
                    + options.queue()
                    + " waiting; try again shortly");
        }
        waiting.incrementAndGet();
        try {
            Future<Prediction> f = workers.submit(() -> {
                waiting.decrementAndGet();
                ClipSam engine = engines.take();
                try {
                    return engine.predict(image, className, mmr, noSam);
                } finally {
                    engines.put(engine);
                }
            });
            try {
                return f.get(options.timeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                f.cancel(false);
                metrics.counter("clipsam_rejections_total", "reason", "timeout").increment();
                throw new HttpError(504, "no answer within --timeout " + options.timeout().toSeconds() + " s");
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Exception cause) {
                    throw cause;
                }
                throw e;
            }
        } finally {
            admission.release();
        }
    }

    private ObjectNode answer(Prediction p, Image8 image, String className, boolean inline) {
        Prediction.AtImageSize full = p.atImageSize();
        byte[] mask = ImageWriter.png(ImageWriter.toBufferedImage(ImageWriter.maskImage(full.mask(), image.width(),
                image.height())));
        byte[] overlay = ImageWriter.png(PredictionWriter.overlay(image, p, full));
        byte[] map = Npy.bytes(p.finalMap(), p.grid(), p.grid());
        String id = UUID.randomUUID().toString();
        synchronized (results) {
            evictOld();
            results.put(id, new Stored(mask, overlay, map, System.nanoTime()));
        }
        for (Map.Entry<String, Double> t : Map.of("clip", p.timings().clip(), "head", p.timings().head(),
                "sam_encoder", p.timings().samEncoder(), "sam_decoder", p.timings().samDecoder()).entrySet()) {
            metrics.timer("clipsam_stage_seconds", "stage", t.getKey()).record((long) (t.getValue() * 1e9),
                    TimeUnit.NANOSECONDS);
        }
        ObjectNode o = JSON.createObjectNode();
        o.put("id", id);
        o.put("class_name", className == null || className.isBlank() ? "object" : className);
        o.put("score", p.score());
        o.put("score_top100_mean", p.topMean());
        o.put("defect_fraction", full.defectFraction());
        o.put("threshold", p.threshold());
        o.put("grid", p.grid());
        o.put("width", image.width());
        o.put("height", image.height());
        ArrayNode regions = o.putArray("regions");
        for (Prediction.Region region : p.regionList()) {
            ObjectNode r = regions.addObject();
            ArrayNode box = r.putArray("box");
            for (double v : region.box()) {
                box.add(v);
            }
            ArrayNode points = r.putArray("points");
            for (double[] xy : region.points()) {
                points.addArray().add(xy[0]).add(xy[1]);
            }
            ArrayNode sam = r.putArray("sam_scores");
            for (double v : region.samScores()) {
                sam.add(v);
            }
        }
        ObjectNode seconds = o.putObject("seconds");
        seconds.put("clip", p.timings().clip());
        seconds.put("head", p.timings().head());
        seconds.put("sam_encoder", p.timings().samEncoder());
        seconds.put("sam_decoder", p.timings().samDecoder());
        seconds.put("total", p.timings().total());
        o.set("model", models());
        ObjectNode urls = o.putObject("urls");
        for (String file : List.of("mask.png", "overlay.png", "map.npy")) {
            urls.put(file.substring(0, file.indexOf('.')), "/v1/results/" + id + "/" + file);
        }
        if (inline) {
            o.put("mask_png_base64", Base64.getEncoder().encodeToString(mask));
            o.put("overlay_png_base64", Base64.getEncoder().encodeToString(overlay));
        }
        return o;
    }

    /**
     * {@code PUT /v1/classes/{name}/refs}: images of good parts of a class (multipart fields {@code image}), from now
     * on compared with every image predicted with that class name (docs/DESIGN.md §8), on every worker.
     */
    private void putReferences(Context ctx) throws IOException {
        String name = ctx.pathParam("name");
        if (name.isBlank() || name.length() > 200) {
            throw new HttpError(400, "a class name of 1 to 200 characters is needed");
        }
        List<UploadedFile> files = ctx.isMultipartFormData() ? ctx.uploadedFiles("image") : List.of();
        if (files.isEmpty()) {
            throw new HttpError(400, "send the reference images as multipart fields named 'image'");
        }
        if (files.size() > MAX_REFERENCES) {
            throw new HttpError(413, files.size() + " reference images; at most " + MAX_REFERENCES + " per class");
        }
        Path folder = Files.createTempDirectory("clipsam-refs-");
        try {
            List<Path> saved = new ArrayList<>();
            for (int i = 0; i < files.size(); i++) {
                byte[] bytes;
                try (InputStream in = files.get(i).content()) {
                    bytes = in.readAllBytes();
                }
                String original = files.get(i).filename() == null ? "" : files.get(i).filename();
                ImageFiles.read(bytes, original);   // an unusable image is refused by its name before any work
                String ext = original.contains(".") ? original.substring(original.lastIndexOf('.') + 1)
                        .toLowerCase(Locale.ROOT) : "png";
                Path file = folder.resolve(String.format(Locale.ROOT, "ref-%03d.%s",
                        i, ImageFiles.EXTENSIONS.contains(ext) ? ext : "png"));
                Files.write(file, bytes);
                saved.add(file);
            }
            long t0 = System.nanoTime();
            dev.clipsam.fewshot.ReferenceMemory memory = null;
            for (ClipSam engine : allEngines) {
                memory = engine.useReferences(name, saved);   // waits for the engine's running prediction
            }
            ObjectNode o = JSON.createObjectNode();
            o.put("class_name", name);
            o.put("references", memory.k());
            o.put("tau", memory.tau());
            o.put("seconds", (System.nanoTime() - t0) / 1e9);
            ctx.json(o);
        } finally {
            try (java.util.stream.Stream<Path> left = Files.list(folder)) {
                for (Path f : left.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(folder);
        }
    }

    /** {@code GET /v1/classes}: the classes with their own references. */
    private void classes(Context ctx) {
        ObjectNode o = JSON.createObjectNode();
        ObjectNode all = o.putObject("classes");
        allEngines.get(0).classReferences().forEach((c, m) -> all.putObject(c).put("references", m.k())
                .put("tau", m.tau()));
        ctx.json(o);
    }

    /** Drops results older than {@code --keep-minutes} (oldest first: the store keeps insertion order). */
    private void evictOld() {
        long oldest = System.nanoTime() - options.keepFor().toNanos();
        results.values().removeIf(s -> s.madeAt() - oldest < 0);
    }

    private void result(Context ctx) {
        Stored s;
        synchronized (results) {
            evictOld();
            s = results.get(ctx.pathParam("id"));
        }
        if (s == null) {
            throw new HttpError(404, "no result " + ctx.pathParam("id") + " (evicted, or never made)");
        }
        switch (ctx.pathParam("file")) {
            case "mask.png" -> ctx.contentType("image/png").result(s.mask());
            case "overlay.png" -> ctx.contentType("image/png").result(s.overlay());
            case "map.npy" -> ctx.contentType("application/octet-stream").result(s.map());
            default -> throw new HttpError(404, "a result has mask.png, overlay.png and map.npy");
        }
    }

    private void ready(Context ctx) {
        boolean room = admission.availablePermits() > 0 && !stopping;
        ctx.status(room ? 200 : 503).json(Map.of("status", stopping ? "stopping" : room ? "ready" : "busy",
                "workers", options.workers(), "waiting", waiting.get()));
    }

    /** Predict requests being handled now (queued, running or being answered). */
    public int inFlight() {
        return inFlight.get();
    }

    private ObjectNode models() {
        ObjectNode m = JSON.createObjectNode();
        m.put("clip", identity.clip());
        m.put("clip_sha256", identity.clipSha256());
        m.put("sam", identity.sam());
        m.put("head", identity.head());
        m.put("precision", identity.precision());
        m.put("image_size", identity.imageSize());
        m.put("default_threshold", defaultThreshold);
        return m;
    }

    private static String parameter(Context ctx, String name) {
        String v = ctx.isMultipartFormData() ? ctx.formParam(name) : null;
        return v != null ? v : ctx.queryParam(name);
    }

    /** The request's MMR options ({@code mmr_threshold}, {@code min_area}, {@code points}, {@code seed}). */
    private MmrConfig mmrOptions(Context ctx) {
        MmrConfig d = allEngines.get(0).mmrConfig();
        Double t = fraction(parameter(ctx, "mmr_threshold"), "mmr_threshold");
        Long minArea = integer(parameter(ctx, "min_area"), "min_area", 0, Integer.MAX_VALUE);
        Long points = integer(parameter(ctx, "points"), "points", 1, 64);
        Long seed = integer(parameter(ctx, "seed"), "seed", Long.MIN_VALUE, Long.MAX_VALUE);
        if (t == null && minArea == null && points == null && seed == null) {
            return null;
        }
        return new MmrConfig(t != null ? t : d.threshold(), minArea != null ? minArea.intValue() : d.minArea(),
                points != null ? points.intValue() : d.points(), d.mode(), seed != null ? seed : d.seed());
    }

    private static Long integer(String text, String name, long min, long max) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            long v = Long.parseLong(text.trim());
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new HttpError(400, name + " '" + text + "' is not an integer"
                + (max == Long.MAX_VALUE ? "" : " in [" + min + ", " + max + "]"));
    }

    private static boolean flag(String text, String name) {
        if (text == null || text.isBlank() || text.equalsIgnoreCase("false") || text.equals("0")) {
            return false;
        }
        if (text.equalsIgnoreCase("true") || text.equals("1")) {
            return true;
        }
        throw new HttpError(400, name + " '" + text + "' is not true or false");
    }

    private static Double fraction(String text, String name) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            double v = Double.parseDouble(text);
            if (v >= 0 && v <= 1) {
                return v;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new HttpError(400, name + " '" + text + "' is not a number in [0, 1]");
    }

    private static boolean isJson(String body) {
        return body != null && body.startsWith("{");
    }

    private static void error(Context ctx, int status, String message) {
        ctx.status(status).json(Map.of("error", message.replaceAll("\\s+", " ")));
    }

    @Override
    /**
     * Stops gracefully: new predictions are refused (503), those queued or running are finished and answered (for up
     * to {@code --timeout}), then the server stops listening and the models' native memory is freed. Idempotent.
     */
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stopping = true;
        long deadline = System.nanoTime() + options.timeout().toNanos();
        try {
            while (inFlight.get() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Thread.sleep(200);   // the last answers are written after their handlers return
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("clipsam serve stopping");
        app.stop();
        workers.shutdownNow();
        List<ClipSam> all = new ArrayList<>();
        engines.drainTo(all);
        all.forEach(ClipSam::close);
        metrics.close();
    }
}

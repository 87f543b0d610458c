package dev.clipsam.nn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clipsam.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kernel variants chosen by measurement on the machine that runs them, never by a constant measured elsewhere.
 *
 * <p>Where an operation has several exact routes (libtorch's fused attention or explicit products, for example),
 * the caller hands over each route as a computation of the same result on a representative piece of its real
 * input. The first time a (family, shape, dtype, threads) key is met on a machine, every route runs once untimed and
 * twice timed; routes whose result is farther from the first route's than the precision allows (relative L2) are
 * not eligible; the fastest eligible one is chosen. Choices are kept for the process and in
 * {@code <dir>/tuning-<machine>.json}, where the machine key hashes the CPU model, its flags and the libtorch
 * version, and each choice's key holds the thread count; {@link #retune()} measures again.
 */
public final class KernelTuning {

    /** What was chosen for a key, the seconds each route took and why routes were left out. */
    public record Choice(String variant, Map<String, Double> seconds, String note) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(KernelTuning.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Map<String, Choice> CHOICES = new TreeMap<>();
    private static Path dir;
    private static boolean loaded;
    private static boolean retune;

    private KernelTuning() {
    }

    /** Keep choices in this folder from now on (read what is there, unless retuning). */
    public static synchronized void persistIn(Path folder) {
        if (folder.equals(dir)) {
            return;
        }
        dir = folder;
        loaded = false;
    }

    /** Measure every key again in this process, replacing stored choices. */
    public static synchronized void retune() {
        retune = true;
        CHOICES.clear();
    }

    /** The choices made or read so far in this process, by key. */
    public static synchronized Map<String, Choice> choices() {
        return Map.copyOf(CHOICES);
    }

    /** Relative L2 that routes of one result may differ by: float32 ones by rounding only, bfloat16 by its drift. */
    public static double tolerance(ScalarType dtype) {
        return dtype.value == ScalarType.Float.value ? 1e-5 : 2e-2;
    }

    /**
     * The route to take for a key, measured the first time.
     *
     * @param family   the operation ({@code attention}, {@code relpos-attention}, ...)
     * @param shape    what its speed depends on, as text (sizes and dtype)
     * @param variants route name to computation of the same result; the first is the reference
     */
    public static synchronized String choose(String family, String shape,
            LinkedHashMap<String, Supplier<Tensor>> variants, double tolerance) {
        String key = family + " " + shape + " threads=" + TorchRuntime.threads();
        load();
        Choice known = CHOICES.get(key);
        if (known != null && variants.containsKey(known.variant())) {
            return known.variant();
        }
        Map<String, Double> seconds = new LinkedHashMap<>();
        StringBuilder note = new StringBuilder();
        Tensor reference = null;
        String best = null;
        try (PointerScope scope = new PointerScope()) {
            for (Map.Entry<String, Supplier<Tensor>> v : variants.entrySet()) {
                Tensor first;
                try {
                    first = v.getValue().get().to(ScalarType.Float);
                } catch (RuntimeException e) {
                    note.append(v.getKey()).append(" failed (").append(e.getMessage()).append("); ");
                    continue;
                }
                if (reference == null) {
                    reference = first;
                } else {
                    double drift = first.sub(reference).norm().item_double()
                            / Math.max(reference.norm().item_double(), 1e-30);
                    if (!(drift <= tolerance)) {
                        note.append(String.format(Locale.ROOT, "%s off by %.1e; ", v.getKey(), drift));
                        continue;
                    }
                }
                double t = Double.MAX_VALUE;
                for (int run = 0; run < 2; run++) {
                    try (PointerScope inner = new PointerScope()) {
                        long t0 = System.nanoTime();
                        v.getValue().get();
                        t = Math.min(t, (System.nanoTime() - t0) / 1e9);
                    }
                }
                seconds.put(v.getKey(), t);
                if (best == null || t < seconds.get(best)) {
                    best = v.getKey();
                }
            }
        }
        if (best == null) {
            best = variants.keySet().iterator().next();
        }
        Choice choice = new Choice(best, seconds, note.toString().trim());
        CHOICES.put(key, choice);
        LOG.debug("kernel choice for {}: {} ({})", key, best, seconds);
        save();
        return best;
    }

    /** CPU model, a hash of its flags, threads and the libtorch version: what a stored choice is valid for. */
    public static String machine() {
        String model = "unknown";
        String flags = "";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name") && model.equals("unknown")) {
                    model = line.substring(line.indexOf(':') + 1).trim();
                } else if (line.startsWith("flags") && flags.isEmpty()) {
                    flags = line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            model = System.getProperty("os.arch");
        }
        return model + " | flags " + digest(flags).substring(0, 12) + " | libtorch " + libtorchVersion();
    }

    private static String libtorchVersion() {
        try {
            return Loader.getVersion("org.bytedeco", "pytorch");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static void load() {
        if (loaded || dir == null) {
            return;
        }
        loaded = true;
        Path file = file();
        if (retune || !Files.isRegularFile(file)) {
            return;
        }
        try {
            JsonNode doc = JSON.readTree(file.toFile());
            doc.path("choices").fields().forEachRemaining(e -> {
                Map<String, Double> seconds = new LinkedHashMap<>();
                e.getValue().path("seconds").fields().forEachRemaining(s -> seconds.put(s.getKey(),
                        s.getValue().asDouble()));
                CHOICES.putIfAbsent(e.getKey(), new Choice(e.getValue().path("variant").asText(), seconds,
                        e.getValue().path("note").asText()));
            });
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: unreadable kernel choices ({}); measuring again", file, e.getMessage());
        }
    }

    private static void save() {
        if (dir == null) {
            return;
        }
        ObjectNode doc = JSON.createObjectNode();
        doc.put("machine", machine());
        ObjectNode all = doc.putObject("choices");
        CHOICES.forEach((k, c) -> {
            ObjectNode o = all.putObject(k);
            o.put("variant", c.variant());
            ObjectNode s = o.putObject("seconds");
            c.seconds().forEach(s::put);
            o.put("note", c.note());
        });
        try {
            Files.createDirectories(dir);
            AtomicFiles.writeString(file(), JSON.writeValueAsString(doc) + "\n");
        } catch (IOException e) {
            LOG.warn("{}: cannot keep kernel choices ({}); they hold for this run only", dir, e.getMessage());
        }
    }

    private static Path file() {
        return dir.resolve("tuning-" + digest(machine()).substring(0, 16) + ".json");
    }

    private static String digest(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

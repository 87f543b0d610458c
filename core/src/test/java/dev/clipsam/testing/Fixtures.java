package dev.clipsam.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clipsam.io.Npy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.function.ThrowingConsumer;

/**
 * The shared reference fixtures: root from {@code CLIPSAM_FIXTURES} (else the build's {@code clipsam.fixtures}
 * property, else {@code ../shared/fixtures}), and discovery of the case folders of a suite.
 */
public final class Fixtures {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Fixtures() {
    }

    public static Path root() {
        String env = System.getenv("CLIPSAM_FIXTURES");
        if (env != null && !env.isBlank()) {
            // a relative root is meant from where the build was started, not from the module's folder
            String start = System.getProperty("clipsam.buildRoot");
            return start == null ? Path.of(env) : Path.of(start).resolve(env);
        }
        return Path.of(System.getProperty("clipsam.fixtures", "../../shared/fixtures"));
    }

    /** A suite folder such as {@code clip} or {@code sam}; it must exist. */
    public static Path suite(String name) {
        Path dir = root().resolve(name);
        assertTrue(Files.isDirectory(dir), "fixture suite missing: " + dir.toAbsolutePath()
                + " (set CLIPSAM_FIXTURES to the fixtures folder)");
        return dir;
    }

    /** Every folder of the suite holding a {@code case.json}, sorted; an empty suite fails the test. */
    public static List<Path> cases(String suite) {
        Path dir = suite(suite);
        try (Stream<Path> children = Files.list(dir)) {
            List<Path> cases = children.filter(p -> Files.isRegularFile(p.resolve("case.json"))).sorted().toList();
            assertFalse(cases.isEmpty(), "no case folders (with case.json) under " + dir.toAbsolutePath());
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * One test per case folder of a suite, named after the folder: the case's kind (the {@code case.json} field
     * {@code kindField}) picks its check; a kind without a check fails its test.
     */
    public static Stream<DynamicTest> suiteTests(String suite, String kindField,
            Map<String, ThrowingConsumer<Path>> checks) {
        return cases(suite).stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> {
            String kind = json(dir.resolve("case.json")).path(kindField).asText();
            ThrowingConsumer<Path> check = checks.get(kind);
            if (check == null) {
                throw new AssertionError("no check for " + suite + " case kind '" + kind + "' in " + dir);
            }
            runCase(dir, check);
        }));
    }

    /** Runs a case check; a failure names the case folder first, so console summaries show which case failed. */
    public static void runCase(Path dir, ThrowingConsumer<Path> check) throws Throwable {
        try {
            check.accept(dir);
        } catch (AssertionError e) {
            AssertionError named = new AssertionError("case " + dir.getFileName() + ": " + e.getMessage(), e);
            named.setStackTrace(e.getStackTrace());
            throw named;
        }
    }

    public static JsonNode json(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Npy npy(Path file) {
        try {
            return Npy.read(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

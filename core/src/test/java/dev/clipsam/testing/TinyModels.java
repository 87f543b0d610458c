package dev.clipsam.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The fixture roots' tiny models, named and described by their {@code model_config.json} (never by the visible
 * root's file names): the CLIP files and their shapes, the SAM checkpoint and its encoder.
 */
public final class TinyModels {

    private TinyModels() {
    }

    public static JsonNode clipConfig() {
        return Fixtures.json(Fixtures.suite("clip").resolve("model/model_config.json"));
    }

    /** Every CLIP model file the config lists, TorchScript first. */
    public static List<Path> clipFiles() {
        Path dir = Fixtures.suite("clip").resolve("model");
        List<Path> script = new ArrayList<>();
        List<Path> other = new ArrayList<>();
        clipConfig().path("files").fields().forEachRemaining(f -> (isTorchScript(f.getValue()) ? script : other)
                .add(dir.resolve(f.getKey())));
        script.addAll(other);
        assertFalse(script.isEmpty(), "clip/model/model_config.json lists no files");
        return script;
    }

    /** The OpenAI-style TorchScript file (what OpenAI released). */
    public static Path clipTorchScript() {
        return clipFiles().get(0);
    }

    /** The plain state-dict file. */
    public static Path clipStateDict() {
        List<Path> files = clipFiles();
        return files.get(files.size() - 1);
    }

    private static boolean isTorchScript(JsonNode file) {
        return file.path("format").asText().contains("TorchScript");
    }

    /** The SHA-256 the config gives for a CLIP file. */
    public static String clipSha256(Path file) {
        return clipConfig().path("files").path(file.getFileName().toString()).path("sha256").asText();
    }

    /** Vision blocks of the tiny CLIP. */
    public static int clipVisionLayers() {
        return clipConfig().path("constructor_args").path("vision_layers").asInt();
    }

    public static int clipPatch() {
        return clipConfig().path("constructor_args").path("vision_patch_size").asInt();
    }

    public static int clipImageSize() {
        return clipConfig().path("constructor_args").path("image_resolution").asInt();
    }

    /**
     * CLI {@code --stages} for the tiny CLIP: four blocks spread over its depth as ClipSAM's 6,12,18,24 are over
     * ViT-L's 24 (fewer when the model is shallower).
     */
    public static String clipStages() {
        return clipStages(4);
    }

    /** {@code count} blocks spread evenly over the tiny CLIP's depth, the last block last, as CLI text. */
    public static String clipStages(int count) {
        int layers = clipVisionLayers();
        List<String> stages = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            int block = Math.max(1, (int) Math.round(layers * i / (double) count));
            if (!stages.contains(String.valueOf(block))) {
                stages.add(String.valueOf(block));
            }
        }
        return String.join(",", stages);
    }

    public static JsonNode samConfig() {
        return Fixtures.json(Fixtures.suite("sam").resolve("model/model_config.json"));
    }

    /** The tiny SAM checkpoint; a root without it skips the test (an explicit assumption). */
    public static Path samCheckpoint() {
        Path file = Fixtures.suite("sam").resolve("model").resolve(samConfig().path("checkpoint").asText("tiny-sam.pth"));
        assumeTrue(Files.isRegularFile(file), "this fixture root has no SAM checkpoint " + file);
        return file;
    }

    /** A file of the fixture root that some roots lack: the test is skipped, naming the file, when it is absent. */
    public static Path optional(Path file) {
        assumeTrue(Files.exists(file), "this fixture root has no " + file);
        return file;
    }
}

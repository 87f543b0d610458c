package dev.clipsam.umci;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clipsam.io.AtomicFiles;
import dev.clipsam.io.Checkpoint;
import dev.clipsam.io.CheckpointException;
import dev.clipsam.io.SafeTensorsWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A trained head on disk: a safetensors file with the parameters ({@code stages.<i>.<key>}) whose
 * {@code __metadata__["clipsam"]} holds the {@link HeadDescription} as JSON (head configuration, image size, the
 * CLIP it was trained on, class names, the F1-optimal threshold, training provenance), plus the same JSON beside it
 * as {@code <name>.json} for people.
 */
public final class HeadFile {

    public static final String FORMAT = "clipsam-head/1";
    static final String META_KEY = "clipsam";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private HeadFile() {
    }

    /** Writes head parameters and description (the head's own config replaces the description's). */
    public static void save(Path file, AnomalyHead head, HeadDescription description) throws IOException {
        String text = JSON.writeValueAsString(description.toJson());
        SafeTensorsWriter.write(file, new LinkedHashMap<>(head.parameters()), Map.of(META_KEY, text));
        AtomicFiles.writeString(sidecar(file), text + "\n");
    }

    public static Path sidecar(Path file) {
        String name = file.getFileName().toString();
        String stem = name.endsWith(".safetensors") ? name.substring(0, name.length() - ".safetensors".length()) : name;
        return file.resolveSibling(stem + ".json");
    }

    /** The description stored in a head file, checked ({@link HeadDescription#parse}). */
    public static HeadDescription description(Checkpoint ckpt) {
        String text = ckpt.metadata().get(META_KEY);
        if (text == null) {
            throw new CheckpointException(ckpt.path(), "is not a clipsam head (no clipsam metadata; write heads with"
                    + " clipsam train)");
        }
        try {
            return HeadDescription.parse(JSON.readTree(text));
        } catch (IOException e) {
            throw new CheckpointException(ckpt.path(), "has unreadable clipsam metadata (" + e.getMessage() + ")");
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(ckpt.path(), "has an invalid head description: " + e.getMessage());
        }
    }

    /** Loads the head a file describes. */
    public static AnomalyHead load(Path file) {
        try (Checkpoint ckpt = Checkpoint.open(file)) {
            return AnomalyHead.load(description(ckpt).config(), ckpt);
        }
    }

    public static ObjectNode toJson(HeadConfig c) {
        ObjectNode o = JSON.createObjectNode();
        o.put("type", c.type().id());
        o.put("clip_width", c.clipWidth());
        o.put("text_dim", c.textDim());
        o.put("hidden", c.hidden());
        c.scales().forEach(o.putArray("scales")::add);
        c.stages().forEach(o.putArray("stages")::add);
        c.stageWeights().forEach(o.putArray("stage_weights")::add);
        return o;
    }

}

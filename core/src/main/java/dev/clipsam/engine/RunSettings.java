package dev.clipsam.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clipsam.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The settings of a run, kept beside its results so that a resumed run continues only what the same settings
 * started: {@link #record} writes them, or on resume compares them and names the first setting that differs.
 */
public final class RunSettings {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private RunSettings() {
    }

    public static void record(Path file, Map<String, String> settings, boolean resume) throws IOException {
        ObjectNode now = JSON.createObjectNode();
        settings.forEach(now::put);
        if (resume && Files.isRegularFile(file)) {
            JsonNode before = JSON.readTree(file.toFile());
            for (Map.Entry<String, String> e : settings.entrySet()) {
                String was = before.path(e.getKey()).asText(null);
                if (!e.getValue().equals(was)) {
                    throw new RunException(file + ": the run used other settings: " + e.getKey() + " was '" + was
                            + "', now '" + e.getValue() + "'; resume it with the same options, or start a new one");
                }
            }
            before.fieldNames().forEachRemaining(name -> {
                if (!settings.containsKey(name)) {
                    throw new RunException(file + ": the run used other settings: " + name + " was '"
                            + before.path(name).asText() + "', now unset; resume it with the same options, or start"
                            + " a new one");
                }
            });
            return;
        }
        Files.createDirectories(file.getParent());
        AtomicFiles.writeString(file, JSON.writeValueAsString(now) + "\n");
    }
}

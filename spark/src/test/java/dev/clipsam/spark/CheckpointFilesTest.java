package dev.clipsam.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where an executor finds a checkpoint given by location. */
class CheckpointFilesTest {

    @TempDir
    Path dir;

    @Test
    void localPathsAndFileUrisAreUsedWhereTheyAre() throws Exception {
        Path odd = Files.writeString(dir.resolve("head #1 100%.safetensors"), "x");
        assertEquals(odd.toString(), CheckpointFiles.local(odd.toString()), "a path with spaces, # and %");
        assertEquals(odd.toString(), CheckpointFiles.local(odd.toUri().toString()), "a file: URI");
        assertNull(CheckpointFiles.local(null), "none given: the engine's default");
        Path missing = dir.resolve("missing.pt");
        assertEquals(missing.toString(), CheckpointFiles.local(missing.toString()),
                "a missing local file stays as given, for the engine to name it");
    }
}

package dev.clipsam.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipsam.data.DatasetFormat;
import dev.clipsam.data.SyntheticDataset;
import dev.clipsam.nn.Activation;
import dev.clipsam.nn.Precision;
import dev.clipsam.testing.TinyModels;
import dev.clipsam.umci.HeadType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training through the Java API alone: the head it writes is one the engine opens. */
class HeadTrainingTest {

    @TempDir
    Path dir;

    @Test
    void aHeadTrainedThroughTheApiOpensInTheEngine() throws Exception {
        Path data = dir.resolve("data");
        SyntheticDataset.write(data, new SyntheticDataset.Spec(1, 2, 2, 64, 4));
        List<Integer> stages = Arrays.stream(TinyModels.clipStages(2).split(",")).map(Integer::valueOf).toList();
        Path out = dir.resolve("head.safetensors");
        List<String> events = new ArrayList<>();
        HeadTraining.Result r = HeadTraining.run(new HeadTraining.Request(DatasetFormat.FOLDER.scan(data), out,
                TinyModels.clipTorchScript(), HeadType.UMCI, 8, List.of(3, 5), stages, List.of(0.5, 0.5),
                TinyModels.clipImageSize(), 1, 2, 1e-4, 0.01, 0, dir.resolve("cache"), Precision.FP32,
                Activation.QUICK_GELU, false, false), new HeadTraining.Listener() {
                    @Override
                    public void started(String description) {
                        events.add("started");
                    }

                    @Override
                    public void tokensReady(int computed, int fromCache) {
                        events.add("tokens " + computed + " " + fromCache);
                    }
                });
        assertEquals(List.of("started", "tokens 4 0"), events);
        assertTrue(Files.isRegularFile(out) && Files.isRegularFile(r.sidecar()));
        assertTrue(r.threshold() >= 0 && r.threshold() <= 1, "threshold " + r.threshold());
        assertTrue(r.resumeDeleted() && Files.notExists(r.resumeFile()), "the resume checkpoint is deleted");
        try (ClipSam engine = ClipSam.open(EngineOptions.builder().head(out).clip(TinyModels.clipTorchScript())
                .useSam(false).build())) {
            assertEquals(r.threshold(), engine.threshold(), 0.0);
            assertEquals(stages, engine.stages());
        }

        try (Stream<Path> masks = Files.walk(data.resolve(SyntheticDataset.classNames(1).get(0))
                .resolve("ground_truth"))) {
            for (Path m : masks.filter(Files::isRegularFile).toList()) {
                Files.delete(m);
            }
        }
        RunException refused = assertThrows(RunException.class, () -> HeadTraining.items(
                DatasetFormat.FOLDER.scan(data)));
        assertTrue(refused.getMessage().contains("have no mask"), refused.getMessage());
        assertFalse(refused.getMessage().contains("\n"));
    }
}

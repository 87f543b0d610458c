package dev.clipsam.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticDatasetTest {

    @Test
    void sameSeedSameFilesAndEveryDefectHasAMask(@TempDir Path dir) throws IOException {
        SyntheticDataset.Spec spec = new SyntheticDataset.Spec(8, 1, 5, 96, 42);
        SyntheticDataset.write(dir.resolve("a"), spec);
        SyntheticDataset.write(dir.resolve("b"), spec);
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir.resolve("a"))) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        assertEquals(8 * (1 + 5 + 5) + 1, files.size());
        for (Path f : files) {
            Path twin = dir.resolve("b").resolve(dir.resolve("a").relativize(f));
            assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(twin), "deterministic: " + f);
        }
        Dataset d = DatasetFormat.FOLDER.scan(dir.resolve("a"));
        assertEquals(List.of(), d.problems());
        assertEquals(SyntheticDataset.classNames(8).stream().sorted().toList(), d.classNames());
        for (Sample s : d.all()) {
            if (s.anomalous()) {
                boolean[] mask = MaskFiles.onGrid(s.mask(), 96, 96);
                int area = 0;
                for (boolean b : mask) {
                    area += b ? 1 : 0;
                }
                assertTrue(area > 0 && area < 96 * 96 / 3, s.mask() + " area " + area);
            }
        }
    }
}

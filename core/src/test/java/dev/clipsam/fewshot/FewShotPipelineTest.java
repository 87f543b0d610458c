package dev.clipsam.fewshot;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipsam.clip.ClipModel;
import dev.clipsam.data.Dataset;
import dev.clipsam.data.DatasetFormat;
import dev.clipsam.data.MaskFiles;
import dev.clipsam.data.Sample;
import dev.clipsam.data.SyntheticDataset;
import dev.clipsam.eval.ClassAccumulator;
import dev.clipsam.image.ImageFiles;
import dev.clipsam.pipeline.ClipStages;
import dev.clipsam.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The references matter: with the tiny CLIP on synthetic defects, the few-shot map from a class's good images finds
 * that class's defects better than the same pipeline whose reference tokens have their channels shuffled (a map
 * that ignored the references would score the same).
 */
@Tag("slow")
class FewShotPipelineTest {

    @Test
    void referencesFindDefectsBetterThanShuffledReferences(@TempDir Path dir) throws IOException {
        SyntheticDataset.write(dir, new SyntheticDataset.Spec(1, 8, 8, 128, 3));
        Dataset data = DatasetFormat.FOLDER.scan(dir);
        String cls = data.classNames().get(0);
        List<Sample> normal = data.samples(cls).stream().filter(s -> !s.anomalous()).toList();
        List<Sample> refs = normal.subList(0, 4);
        List<Sample> test = new ArrayList<>(normal.subList(4, normal.size()));
        data.samples(cls).stream().filter(Sample::anomalous).forEach(test::add);
        int size = 8 * TinyModels.clipPatch();
        List<Integer> blocks = Arrays.stream(TinyModels.clipStages().split(",")).map(Integer::valueOf).toList();
        try (ClipModel clip = ClipModel.load(TinyModels.clipTorchScript()); PointerScope scope = new PointerScope()) {
            ClipStages stages = new ClipStages(clip, size, blocks);
            List<List<Tensor>> real = new ArrayList<>();
            List<List<Tensor>> shuffled = new ArrayList<>();
            Random random = new Random(5);
            for (Sample s : refs) {
                List<Tensor> rows = rows(stages.tokens(ImageFiles.read(s.image())));
                real.add(rows);
                List<Tensor> mixed = new ArrayList<>();
                for (Tensor t : rows) {
                    long[] perm = new long[(int) t.size(1)];
                    for (int i = 0; i < perm.length; i++) {
                        perm[i] = i;
                    }
                    for (int i = perm.length - 1; i > 0; i--) {
                        int j = random.nextInt(i + 1);
                        long tmp = perm[i];
                        perm[i] = perm[j];
                        perm[j] = tmp;
                    }
                    mixed.add(t.index_select(1, dev.clipsam.nn.Tensors.fromLongs(perm, perm.length)));
                }
                shuffled.add(mixed);
            }
            try (ReferenceMemory good = new ReferenceMemory(real, stages.grid(), size, ReferenceMemory.Combine.MEAN);
                    ReferenceMemory noise = new ReferenceMemory(shuffled, stages.grid(), size,
                            ReferenceMemory.Combine.MEAN)) {
                ClassAccumulator withRefs = new ClassAccumulator(cls, 0);
                ClassAccumulator withNoise = new ClassAccumulator(cls, 0);
                for (Sample s : test) {
                    try (PointerScope image = new PointerScope()) {
                        List<Tensor> query = rows(stages.tokens(ImageFiles.read(s.image())));
                        boolean[] mask = MaskFiles.onGrid(s.mask(), size, size);
                        withRefs.add(good.normalised(query), mask, size, size, null);
                        withNoise.add(noise.normalised(query), mask, size, size, null);
                    }
                }
                double real1 = withRefs.metrics().pixel().auroc();
                double shuffled1 = withNoise.metrics().pixel().auroc();
                System.out.printf("few-shot map, tiny CLIP, 4 references, %d test images: pixel AUROC %.3f; with"
                        + " channel-shuffled references %.3f; tau %.4f%n", test.size(), real1, shuffled1, good.tau());
                assertTrue(real1 > shuffled1 + 0.05, "references " + real1 + " vs shuffled " + shuffled1);
            }
        }
    }

    private static List<Tensor> rows(List<Tensor> stageTokens) {
        List<Tensor> out = new ArrayList<>();
        for (Tensor t : stageTokens) {
            out.add(t.reshape(t.size(0), -1).t().contiguous());
        }
        return out;
    }
}

package dev.clipsam.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.clipsam.data.SyntheticDataset;
import dev.clipsam.testing.MapsProbe;
import dev.clipsam.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first run after a build (an empty JavaCPP cache) maps only the bundle's natives, even where the system has
 * its own libtorch, OpenBLAS or CUDA runtime (CI installs Debian's python3-torch to have them). Each command runs in
 * a fresh JVM with a fresh cache folder; its memory map must hold no torch, c10, OpenMP, OpenBLAS, Fortran runtime
 * or CUDA library from outside that folder, and no crash log may appear in its working folder.
 */
@Tag("slow")
class NativeLoadingTest {

    private static final Pattern GUARDED = Pattern.compile(
            "/lib(torch[^/]*|c10[^/]*|gomp|openblas[^/]*|gfortran|quadmath|cudart|cupti|cublas[^/]*|cudnn[^/]*)\\.so[^/]*$");

    @Test
    void firstInspectAndFirstPredictMapOnlyTheBundle(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/maps")), "needs /proc/<pid>/maps (Linux)");
        report("system libtorch present: " + Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libtorch_cpu.so")));
        String clip = TinyModels.clipTorchScript().toString();
        check(dir.resolve("inspect"), "inspect", clip);

        // A head for the predict run, trained in this JVM (its natives are loaded already).
        Path data = dir.resolve("data");
        SyntheticDataset.write(data, new SyntheticDataset.Spec(1, 1, 2, 64, 1));
        Path head = dir.resolve("head.safetensors");
        CliRunner.Result trained = CliRunner.run("train", "--clip", clip, "--data", data.toString(), "--format",
                "folder", "--out", head.toString(), "--epochs", "1", "--hidden", "8", "--stages",
                TinyModels.clipStages(2), "--image-size", String.valueOf(TinyModels.clipImageSize()), "--cache",
                dir.resolve("tokens").toString());
        assertEquals(0, trained.exit(), trained.err());
        Path image;
        try (Stream<Path> files = Files.walk(data.resolve("fabric/good"))) {
            image = files.filter(Files::isRegularFile).findFirst().orElseThrow();
        }
        check(dir.resolve("predict"), "predict", "--clip", clip, "--head", head.toString(), "--no-sam",
                image.toString(), "--out", dir.resolve("predicted").toString());
    }

    private static void check(Path work, String... command) throws IOException, InterruptedException {
        Files.createDirectories(work);
        Path cache = work.resolve("javacpp-cache");
        Path maps = work.resolve("maps.txt");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.bytedeco.javacpp.cachedir=" + cache, "-Dclipsam.home=" + work.resolve("home"), "-cp",
                System.getProperty("java.class.path"), MapsProbe.class.getName(), maps.toString()));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(work.resolve("output.txt").toFile()).start();
        int exit = p.waitFor();
        String output = Files.readString(work.resolve("output.txt"));
        try (Stream<Path> files = Files.list(work)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith("hs_err")),
                    command[0] + ": a JVM crash log in the working folder; output:\n" + output);
        }
        assertEquals(0, exit, command[0] + " in a fresh JVM with an empty cache:\n" + output);
        String root = cache.toRealPath().toString();
        List<String> outside = new ArrayList<>();
        int inside = 0;
        for (String line : Files.readAllLines(maps)) {
            int slash = line.indexOf('/');
            if (slash < 0) {
                continue;
            }
            String file = line.substring(slash);
            if (GUARDED.matcher(file).find()) {
                if (file.startsWith(root)) {
                    inside++;
                } else {
                    outside.add(file);
                }
            }
        }
        assertTrue(outside.isEmpty(), command[0] + " mapped natives from outside its bundle: " + outside.stream()
                .distinct().toList());
        assertTrue(inside > 0, command[0] + ": no bundled native mapped at all (is the check looking at the right process?)");
        report(command[0] + ": " + inside + " mappings of bundled natives, none from elsewhere");
    }

    private static void report(String line) {
        System.out.println("native loading: " + line);
    }
}

package dev.clipsam.cli;

import dev.clipsam.engine.ClipSam;
import dev.clipsam.fewshot.ReferenceMemory;
import dev.clipsam.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code clipsam refs build}: the reference memory of some good images, as a file a line can ship. */
@Command(name = "refs", description = "Reference images of good parts (the few-shot map).",
        subcommands = {RefsCommand.Build.class})
final class RefsCommand {

    @Command(name = "build", description = {
        "Compute the reference memory of good images once (their CLIP tokens and the leave-one-out calibration) and"
            + " write it as a safetensors file ('" + ReferenceMemory.FORMAT + "'); 'predict --refs FILE' and 'serve"
            + " --refs FILE' then use it without the images. With --head the tokens are taken at the head's size"
            + " and blocks, else at --image-size and --stages."})
    static final class Build implements Callable<Integer> {

        @Mixin
        CommonOptions common;

        @Mixin
        ModelOptions models;

        @Spec
        CommandSpec spec;

        @Parameters(arity = "1..*", paramLabel = "IMAGE|FOLDER", description = "Images of good parts.")
        List<Path> images;

        @Option(names = "--out", required = true, paramLabel = "FILE", description = "The reference file"
                + " (.safetensors).")
        Path out;

        @Option(names = "--overwrite", description = "Replace an existing file.")
        boolean overwrite;

        @Override
        public Integer call() throws IOException {
            common.apply();
            if (!out.getFileName().toString().endsWith(".safetensors")) {
                throw new UserInputException(out + ": the reference file's name must end in .safetensors");
            }
            if (Files.exists(out) && !overwrite) {
                throw new UserInputException(out + ": exists; use --overwrite to replace it");
            }
            OutputFolder.requireWritableParent(out);
            MmrOptions noMmr = new MmrOptions();
            noMmr.threshold = 0.5;
            noMmr.points = 5;
            noMmr.mode = dev.clipsam.mmr.PointMode.PER_REGION;
            try (ClipSam engine = models.open(noMmr, null, false, images)) {
                ReferenceMemory memory = engine.references();
                Map<String, String> provenance = new LinkedHashMap<>();
                provenance.put("clip_sha256", engine.identity().clipSha256());
                provenance.put("stages", engine.stages().toString());
                provenance.put("precision", engine.identity().precision());
                provenance.put("references", images.toString());
                AtomicFiles.write(out, tmp -> memory.save(tmp, provenance));
                spec.commandLine().getOut().printf("wrote %s: %d references, %d blocks at %d px, tau %.4f%n", out,
                        memory.k(), memory.stages(), memory.size(), memory.tau());
            }
            return 0;
        }
    }
}

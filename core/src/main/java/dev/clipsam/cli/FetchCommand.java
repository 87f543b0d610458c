package dev.clipsam.cli;

import dev.clipsam.engine.Locations;
import dev.clipsam.io.Download;
import dev.clipsam.io.Hashing;
import dev.clipsam.io.OfficialCheckpoint;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code clipsam fetch}: downloads the official checkpoints to where the other commands look for them. */
@Command(name = "fetch", description = {
    "Download official checkpoints (clip = OpenAI ViT-L/14@336, sam-vit-h, sam-vit-l, sam-vit-b) into $CLIPSAM_HOME"
        + " (default ~/.cache/clipsam), where predict, eval and train find them without --clip/--sam.",
    "The file is checked against its published SHA-256 before it is moved into place; an interrupted download"
        + " resumes from its .part file."})
final class FetchCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "NAME", description = "clip, sam-vit-h, sam-vit-l or sam-vit-b.")
    List<String> names;

    @Option(names = "--dir", paramLabel = "DIR", description = "Download folder (default: $CLIPSAM_HOME, else"
            + " ~/.cache/clipsam).")
    Path dir;

    @Option(names = "--url", paramLabel = "URL", description = "Download from this address instead (a mirror; one"
            + " NAME only).")
    URI url;

    @Option(names = "--sha256", paramLabel = "HEX", description = "Expect this digest instead of the official one"
            + " (with --url).")
    String sha256;

    @Option(names = "--force", description = "Download again even if the file is present and intact.")
    boolean force;

    @Override
    public Integer call() throws IOException {
        common.apply();
        if ((url != null || sha256 != null) && names.size() != 1) {
            throw new UserInputException("--url and --sha256 apply to one checkpoint at a time");
        }
        PrintWriter out = spec.commandLine().getOut();
        for (String name : names) {
            OfficialCheckpoint c;
            try {
                c = OfficialCheckpoint.parse(name);
            } catch (IllegalArgumentException e) {
                throw new UserInputException(e.getMessage());
            }
            Path target = (dir != null ? dir : Locations.home()).resolve(c.fileName());
            String expected = sha256 != null ? sha256.toLowerCase(java.util.Locale.ROOT) : c.sha256();
            if (!force && Files.isRegularFile(target)) {
                String actual = Hashing.sha256(target);
                if (actual.equals(expected)) {
                    out.printf("%s: already present and intact (%s)%n", target, actual);
                    continue;
                }
                out.printf("%s: present but its SHA-256 is %s, not %s; downloading again%n", target, actual, expected);
            }
            URI from = url != null ? url : URI.create(c.url());
            out.printf("downloading %s%n  from %s%n", target, from);
            out.flush();
            try (ProgressBar bar = Progress.bytesBar(c.id())) {
                Download.fetch(from, target, expected, new Download.Listener() {
                    @Override
                    public void start(long totalBytes) {
                        bar.maxHint(totalBytes);
                    }

                    @Override
                    public void progress(long bytesSoFar) {
                        bar.stepTo(bytesSoFar);
                    }
                });
            } catch (Download.DownloadException e) {
                throw new UserInputException(e.getMessage());
            }
            out.printf("%s: SHA-256 %s verified%n", target, expected);
        }
        return 0;
    }
}

package dev.clipsam.cli;

import dev.clipsam.data.Dataset;
import dev.clipsam.data.DatasetFormat;
import dev.clipsam.data.Sample;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code clipsam data}: dataset tools. */
@Command(name = "data", description = "Dataset tools.", subcommands = {DataCommand.Check.class})
final class DataCommand {

    /** {@code clipsam data check}: what a dataset folder holds and what is wrong with it. */
    @Command(name = "check", description = {
        "Read a dataset and print, per class, its images (normal / anomalous), masks and defect types, then every"
            + " problem found (anomalous images without masks, masks without images, masks of another size than"
            + " their image, unreadable files, empty classes).",
        "Exit code 1 when there are problems, 2 when the folder is not a dataset of that format."})
    static final class Check implements Callable<Integer> {

        @Mixin
        CommonOptions common;

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "ROOT", description = "The dataset folder.")
        Path root;

        @Option(names = "--format", required = true, paramLabel = "F",
                description = "mvtec, visa, mtd, ksdd2 or folder (see README).")
        DatasetFormat format;

        @Override
        public Integer call() {
            common.apply();
            Dataset data = DatasetCommands.scan(format, root);
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%s dataset at %s: %d classes%n", format.id(), root, data.classNames().size());
            out.printf("%-24s %7s %7s %9s %6s  %s%n", "class", "images", "normal", "anomalous", "masks", "defect types");
            int total = 0;
            for (String name : data.classNames()) {
                List<Sample> samples = data.samples(name);
                long anomalous = samples.stream().filter(Sample::anomalous).count();
                long masks = samples.stream().filter(s -> s.mask() != null).count();
                TreeSet<String> defects = new TreeSet<>();
                samples.stream().filter(Sample::anomalous).forEach(s -> defects.add(s.defectType()));
                out.printf("%-24s %7d %7d %9d %6d  %s%n", name, samples.size(), samples.size() - anomalous, anomalous,
                        masks, String.join(", ", defects));
                total += samples.size();
            }
            out.printf("%-24s %7d%n", "total", total);
            if (data.problems().isEmpty()) {
                out.println("no problems found");
                return 0;
            }
            return Problems.report(out, spec.commandLine().getErr(), data.problems(), "%d problems");
        }
    }
}

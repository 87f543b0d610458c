package dev.clipsam.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command answers {@code --help} with its usage, cleanly. */
class CliHelpTest {

    @Test
    void everyCommandHasHelp() {
        List<List<String>> paths = new ArrayList<>();
        collect(ClipSamCommand.commandLine(), new ArrayList<>(), paths);
        assertTrue(paths.size() >= 16, "commands found: " + paths);
        for (List<String> path : paths) {
            List<String> args = new ArrayList<>(path);
            args.add("--help");
            PrintStream stderr = System.err;
            ByteArrayOutputStream picocliWarnings = new ByteArrayOutputStream();   // picocli warns on System.err
            CliRunner.Result r;
            try {
                System.setErr(new PrintStream(picocliWarnings, true, StandardCharsets.UTF_8));
                r = CliRunner.run(args.toArray(String[]::new));
            } finally {
                System.setErr(stderr);
            }
            String name = String.join(" ", path);
            assertEquals(0, r.exit(), name + ": " + r.err());
            assertTrue(r.out().startsWith("Usage: clipsam" + (name.isEmpty() ? "" : " " + name)), name + ": " + r.out());
            assertEquals("", picocliWarnings.toString(StandardCharsets.UTF_8), name + ": help text warnings");
        }
    }

    private static void collect(CommandLine cli, List<String> path, List<List<String>> out) {
        out.add(List.copyOf(path));
        cli.getSubcommands().forEach((name, sub) -> {
            if (name.equals("help")) {
                return;
            }
            List<String> next = new ArrayList<>(path);
            next.add(name);
            collect(sub, next, out);
        });
    }
}

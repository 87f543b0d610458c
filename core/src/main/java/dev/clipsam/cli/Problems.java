package dev.clipsam.cli;

import java.io.PrintWriter;
import java.util.List;

/** How a command that finished reports what it could not do: one line per problem on stderr, a count on stdout. */
final class Problems {

    private Problems() {
    }

    /**
     * @param summary the count line, e.g. {@code "%d problems"} or {@code "%d of 10 images skipped"}
     * @return the command's exit code: 0 without problems, else {@link ClipSamCommand#EXIT_PROBLEMS}
     */
    static int report(PrintWriter out, PrintWriter err, List<String> problems, String summary) {
        if (problems.isEmpty()) {
            return 0;
        }
        out.printf(summary + " (listed on stderr)%n", problems.size());
        out.flush();
        problems.forEach(p -> err.println("clipsam: " + p));
        err.flush();
        return ClipSamCommand.EXIT_PROBLEMS;
    }
}

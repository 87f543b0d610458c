package dev.clipsam.cli;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The progress every long command shows, on stderr so that stdout stays the result: a live bar on a terminal;
 * elsewhere (a log file, CI) one plain line a minute and a last one at the end, instead of a bar redrawn
 * thousands of times.
 */
final class Progress {

    private static final int PLAIN_INTERVAL_MILLIS = 60_000;

    private Progress() {
    }

    /** A bar counting bytes, shown in MB; the total may be set later ({@code maxHint}). */
    static ProgressBar bytesBar(String task) {
        return builder(task).setInitialMax(-1).setUnit(" MB", 1_000_000).showSpeed().build();
    }

    static ProgressBar bar(String task, long max) {
        return builder(task).setInitialMax(max).build();
    }

    private static ProgressBarBuilder builder(String task) {
        ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setStyle(ProgressBarStyle.ASCII);
        if (interactive()) {
            return b.setConsumer(new ConsoleProgressBarConsumer(System.err)).continuousUpdate();
        }
        String[] last = {""};
        ProgressBarConsumer plain = new DelegatingProgressBarConsumer(line -> {
            String l = line.strip();
            if (!l.equals(last[0])) {   // the closing update repeats the last one
                System.err.println(l);
                last[0] = l;
            }
        }, 100);
        return b.setConsumer(plain).setUpdateIntervalMillis(PLAIN_INTERVAL_MILLIS);
    }

    /** A person is watching: a console, not CI, not a dumb terminal. */
    static boolean interactive() {
        return System.console() != null && System.getenv("CI") == null && !"dumb".equals(System.getenv("TERM"));
    }
}

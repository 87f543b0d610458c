package dev.clipsam.cli;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** The progress bar every long command shows, on stderr so that stdout stays the result. */
final class Progress {

    private Progress() {
    }

    /** A bar counting bytes, shown in MB; the total may be set later ({@code maxHint}). */
    static ProgressBar bytesBar(String task) {
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(-1).setStyle(ProgressBarStyle.ASCII)
                .setUnit(" MB", 1_000_000).showSpeed().setConsumer(new ConsoleProgressBarConsumer(System.err))
                .continuousUpdate().build();
    }

    static ProgressBar bar(String task, long max) {
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new ConsoleProgressBarConsumer(System.err)).continuousUpdate().build();
    }
}

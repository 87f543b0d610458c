package dev.clipsam.spark;

import dev.clipsam.engine.ClipSam;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engines of one executor JVM, opened lazily from {@link ScoreOptions} and reused by every task and partition it
 * runs. An engine serves one task at a time; a task borrows an idle one or, when all are busy (several task slots
 * on the executor), opens another, so an executor holds at most as many engines as it runs tasks at once. Give a
 * task all the executor's cores ({@code spark.task.cpus} = {@code spark.executor.cores}) to hold the large models
 * once. The engines are closed when the JVM ends.
 */
final class ExecutorEngines {

    private static final Logger LOG = LoggerFactory.getLogger(ExecutorEngines.class);
    private static final Map<String, Deque<ClipSam>> IDLE = new HashMap<>();
    private static final List<ClipSam> ALL = new ArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ExecutorEngines::closeAll, "clipsam-engines-close"));
    }

    private ExecutorEngines() {
    }

    /** An idle engine for these options, or a new one. Give it back with {@link #release}. */
    static ClipSam borrow(ScoreOptions options) {
        String key = options.engineKey();
        synchronized (IDLE) {
            ClipSam idle = IDLE.getOrDefault(key, new ArrayDeque<>()).poll();
            if (idle != null) {
                return idle;
            }
        }
        long t0 = System.nanoTime();
        ClipSam engine;
        try {
            engine = ClipSam.open(options.engineOptions(CheckpointFiles::local));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        LOG.info("opened a ClipSAM engine in {} s ({} on this executor)",
                String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e9), opened() + 1);
        synchronized (IDLE) {
            ALL.add(engine);
        }
        return engine;
    }

    static void release(ScoreOptions options, ClipSam engine) {
        synchronized (IDLE) {
            IDLE.computeIfAbsent(options.engineKey(), k -> new ArrayDeque<>()).push(engine);
        }
    }

    /** Engines opened in this JVM so far. */
    static int opened() {
        synchronized (IDLE) {
            return ALL.size();
        }
    }

    static void closeAll() {
        synchronized (IDLE) {
            ALL.forEach(ClipSam::close);
            ALL.clear();
            IDLE.clear();
        }
    }
}

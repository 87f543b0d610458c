package dev.clipsam.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C (SIGINT, SIGTERM) during a long run: the JVM's shutdown waits until the run has finished the image it is
 * on and written its results (up to two minutes), instead of dying between two files. The run asks
 * {@link #requested()} before each image; closing this marks the run finished.
 */
final class Interruption implements AutoCloseable {

    private volatile boolean requested;
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook = new Thread(this::waitForRun, "clipsam-interrupt");

    Interruption() {
        Runtime.getRuntime().addShutdownHook(hook);
    }

    boolean requested() {
        return requested;
    }

    private void waitForRun() {
        requested = true;
        try {
            finished.await(2, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        finished.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook is running and now returns
        }
    }
}

package dev.clipsam.engine;

/**
 * A run that cannot go on as asked: resuming with other settings, maps of another run in its folder. The message
 * is one line naming the file or setting, fit to show a user as it is.
 */
public class RunException extends RuntimeException {

    public RunException(String message) {
        super(message);
    }
}

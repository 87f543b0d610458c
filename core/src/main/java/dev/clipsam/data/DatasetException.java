package dev.clipsam.data;

/** A dataset that cannot be used at all (missing folder, unreadable split file); one line naming the path. */
public class DatasetException extends RuntimeException {

    public DatasetException(String message) {
        super(message);
    }
}

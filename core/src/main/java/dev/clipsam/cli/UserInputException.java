package dev.clipsam.cli;

/** Input the user gave that cannot be used; reported as one line with exit code 2. */
public class UserInputException extends RuntimeException {

    public UserInputException(String message) {
        super(message);
    }

    public UserInputException(String message, Throwable cause) {
        super(message, cause);
    }
}

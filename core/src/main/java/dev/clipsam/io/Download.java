package dev.clipsam.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * Downloads a file over HTTP(S) into {@code <target>.part} beside the target, resuming a part left by an
 * interrupted run (HTTP range request) when the server allows it, checks its SHA-256, and only then moves it to
 * the target. A file whose digest is wrong is deleted and never appears under the target name.
 */
public final class Download {

    /** Progress callbacks. */
    public interface Listener {
        /** The total size, when the server says it (else -1); called once before the first bytes. */
        void start(long totalBytes);

        void progress(long bytesSoFar);
    }

    /** The download failed; the message names the address or file and the problem. */
    public static final class DownloadException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public DownloadException(String message) {
            super(message);
        }
    }

    private Download() {
    }

    public static void fetch(URI uri, Path target, String expectedSha256, Listener listener) throws IOException {
        Path part = target.resolveSibling(target.getFileName() + ".part");
        Files.createDirectories(target.toAbsolutePath().getParent());
        MessageDigest digest = newDigest();
        long have = Files.isRegularFile(part) ? Files.size(part) : 0;
        HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(30)).build();
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET();
        if (have > 0) {
            request.header("Range", "bytes=" + have + "-");
        }
        HttpResponse<InputStream> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DownloadException(uri + ": download interrupted");
        } catch (IOException e) {
            throw new DownloadException(uri + ": cannot reach " + uri.getHost() + ": " + reason(e));
        }
        int status = response.statusCode();
        boolean resumed = status == 206 && have > 0;
        if (status != 200 && !resumed) {
            response.body().close();
            throw new DownloadException(uri + ": the server answered HTTP " + status);
        }
        if (resumed) {
            // the digest must cover the bytes already on disk
            try (InputStream old = Files.newInputStream(part)) {
                byte[] buffer = new byte[1 << 20];
                for (int n; (n = old.read(buffer)) > 0;) {
                    digest.update(buffer, 0, n);
                }
            }
        } else {
            have = 0;
        }
        long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        listener.start(length < 0 ? -1 : length + have);
        long done = have;
        try (InputStream in = response.body();
                OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        resumed ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buffer = new byte[1 << 20];
            for (int n; (n = in.read(buffer)) > 0;) {
                out.write(buffer, 0, n);
                digest.update(buffer, 0, n);
                done += n;
                listener.progress(done);
            }
        }
        if (length >= 0 && done != length + have) {
            throw new DownloadException(uri + ": the connection closed after " + done + " of " + (length + have)
                    + " bytes; run again to resume");
        }
        String actual = HexFormat.of().formatHex(digest.digest());
        if (expectedSha256 != null && !actual.equalsIgnoreCase(expectedSha256)) {
            Files.deleteIfExists(part);
            throw new DownloadException(uri + ": downloaded file has SHA-256 " + actual + ", expected "
                    + expectedSha256 + "; it was deleted");
        }
        try {
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Why a connection failed, in words: the innermost cause with a message, else its kind. */
    static String reason(Throwable e) {
        String why = null;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                why = t.getMessage();
            }
            if (t instanceof java.net.UnknownHostException) {
                return "unknown host (no network, or no name service)";
            }
            if (t instanceof java.net.ConnectException) {
                return "connection refused or no route (" + (t.getMessage() == null ? "no network?" : t.getMessage())
                        + ")";
            }
            if (t instanceof java.net.http.HttpTimeoutException) {
                return "timed out";
            }
        }
        return why != null ? why : e.getClass().getSimpleName();
    }
}

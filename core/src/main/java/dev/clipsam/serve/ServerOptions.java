package dev.clipsam.serve;

import java.time.Duration;

/**
 * How {@code clipsam serve} listens and how much it takes on.
 *
 * @param host          the address to bind (127.0.0.1 by default: loopback only)
 * @param port          the port (0: any free one)
 * @param workers       predictions run at once, one engine each
 * @param queue         requests that may wait for a worker; more are answered 503
 * @param maxImageBytes the largest upload
 * @param keepResults   results kept for {@code /v1/results/{id}/...} (oldest evicted first)
 * @param timeout       the longest a request waits for its prediction (504 after)
 * @param apiKey        when set, every {@code /v1} request must send it ({@code Authorization: Bearer ...} or
 *                      {@code X-API-Key})
 * @param corsOrigin    the one browser origin allowed to call the API from its pages (CORS), or null: none
 * @param keepFor       how long a result stays under {@code /v1/results/{id}/...} (and within {@code keepResults})
 */
public record ServerOptions(String host, int port, int workers, int queue, long maxImageBytes, int keepResults,
        Duration timeout, String apiKey, String corsOrigin, Duration keepFor) {

    /** Results kept an hour. */
    public static final Duration DEFAULT_KEEP_FOR = Duration.ofHours(1);

    /** Without CORS, results kept {@link #DEFAULT_KEEP_FOR}. */
    public ServerOptions(String host, int port, int workers, int queue, long maxImageBytes, int keepResults,
            Duration timeout, String apiKey) {
        this(host, port, workers, queue, maxImageBytes, keepResults, timeout, apiKey, null, DEFAULT_KEEP_FOR);
    }

    public ServerOptions {
        if (workers < 1 || queue < 0 || maxImageBytes < 1 || keepResults < 1 || port < 0 || port > 65535) {
            throw new IllegalArgumentException("workers >= 1, queue >= 0, sizes >= 1, port 0..65535");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, not " + timeout);
        }
        if (keepFor.isNegative() || keepFor.isZero()) {
            throw new IllegalArgumentException("--keep-minutes must be positive, not " + keepFor.toMinutes());
        }
        if (corsOrigin != null && !corsOrigin.matches("https?://[^/\\s]+")) {
            throw new IllegalArgumentException("--cors-origin '" + corsOrigin + "' is not an origin such as"
                    + " https://line.example.com");
        }
    }
}

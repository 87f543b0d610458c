package dev.clipsam.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.clipsam.io.Hashing;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code clipsam fetch} against a local HTTP server on loopback serving a file of random bytes (made here, so the
 * test depends on no fixture file).
 */
class FetchCommandTest {

    private static HttpServer server;
    private static byte[] bytes;
    private static String sha;
    private static final List<String> ranges = new ArrayList<>();

    @BeforeAll
    static void serve() throws IOException {
        bytes = new byte[300_000];
        new Random(7).nextBytes(bytes);
        sha = Hashing.sha256(bytes);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/model.pth", exchange -> {
            String range = exchange.getRequestHeaders().getFirst("Range");
            byte[] body = bytes;
            int status = 200;
            if (range != null) {
                ranges.add(range);
                int from = Integer.parseInt(range.replace("bytes=", "").replace("-", ""));
                body = Arrays.copyOfRange(bytes, from, bytes.length);
                status = 206;
                exchange.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (bytes.length - 1) + "/"
                        + bytes.length);
            }
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    @AfterAll
    static void stop() {
        server.stop(0);
    }

    private static String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    @Test
    void downloadsChecksAndMovesIntoPlace(@TempDir Path dir) throws IOException {
        CliRunner.Result r = CliRunner.run("fetch", "sam-vit-b", "--dir", dir.toString(), "--url",
                url("/model.pth"), "--sha256", sha);
        assertEquals(0, r.exit(), r.out() + r.err());
        Path target = dir.resolve("sam_vit_b_01ec64.pth");
        assertArrayEquals(bytes, Files.readAllBytes(target));
        assertFalse(Files.exists(dir.resolve("sam_vit_b_01ec64.pth.part")));
        assertTrue(r.out().contains("SHA-256 " + sha + " verified"), r.out());

        CliRunner.Result again = CliRunner.run("fetch", "sam-vit-b", "--dir", dir.toString(), "--url",
                url("/model.pth"), "--sha256", sha);
        assertEquals(0, again.exit());
        assertTrue(again.out().contains("already present and intact"), again.out());
    }

    @Test
    void aWrongDigestLeavesNothing(@TempDir Path dir) {
        CliRunner.Result r = CliRunner.run("fetch", "sam-vit-b", "--dir", dir.toString(), "--url",
                url("/model.pth"));
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("expected ec2df62732614e57411cdcf32a23ffdf28910380d03139ee0f4fcbe91eb8c912; it was"
                + " deleted"), r.err());
        assertFalse(Files.exists(dir.resolve("sam_vit_b_01ec64.pth")));
        assertFalse(Files.exists(dir.resolve("sam_vit_b_01ec64.pth.part")));
    }

    @Test
    void aMissingFileIsOneLine(@TempDir Path dir) {
        CliRunner.Result r = CliRunner.run("fetch", "clip", "--dir", dir.toString(), "--url", url("/nothing.pt"));
        assertEquals(2, r.exit());
        assertEquals("clipsam: " + url("/nothing.pt") + ": the server answered HTTP 404", r.err().strip());
        assertFalse(Files.exists(dir.resolve("ViT-L-14-336px.pt")));
    }

    @Test
    void anInterruptedDownloadResumes(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve("sam_vit_b_01ec64.pth.part"), Arrays.copyOf(bytes, 1000));
        ranges.clear();
        CliRunner.Result r = CliRunner.run("fetch", "sam-vit-b", "--dir", dir.toString(), "--url",
                url("/model.pth"), "--sha256", sha);
        assertEquals(0, r.exit(), r.err());
        assertEquals(List.of("bytes=1000-"), ranges);
        assertArrayEquals(bytes, Files.readAllBytes(dir.resolve("sam_vit_b_01ec64.pth")));
    }

    @Test
    void unknownNamesAreRefused() {
        CliRunner.Result r = CliRunner.run("fetch", "sam-vit-x");
        assertEquals(2, r.exit());
        assertEquals("clipsam: unknown checkpoint 'sam-vit-x' (clip, sam-vit-h, sam-vit-l or sam-vit-b)",
                r.err().strip());
    }
}

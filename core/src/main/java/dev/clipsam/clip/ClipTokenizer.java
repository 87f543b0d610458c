package dev.clipsam.clip;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * CLIP's byte-level BPE tokenizer (OpenAI {@code clip/simple_tokenizer.py} and {@code clip.tokenize}), in pure
 * Java, with the merge list shipped as a resource ({@code bpe_simple_vocab_16e6.txt.gz}, MIT, OpenAI).
 *
 * <p>Text is cleaned ({@link TextCleaner}), split into words, digits and punctuation runs, each piece's UTF-8
 * bytes mapped to printable characters and merged by rank. A sequence is {@code <|startoftext|>}, the BPE ids,
 * {@code <|endoftext|>}, zero-padded to the context length; longer sequences keep their first
 * {@code context} ids with the last one set to {@code <|endoftext|>}.
 */
public final class ClipTokenizer {

    public static final int START_OF_TEXT = 49406;
    public static final int END_OF_TEXT = 49407;
    public static final int CONTEXT_LENGTH = 77;
    private static final String START_TEXT = "<|startoftext|>";
    private static final String END_TEXT = "<|endoftext|>";
    private static final int MERGES = 49152 - 256 - 2;
    private static final int CACHE_LIMIT = 100_000;

    private static final Pattern PIECES = Pattern.compile(
            "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.UNICODE_CHARACTER_CLASS);

    private static volatile ClipTokenizer shared;

    private final char[] byteEncoder = new char[256];
    private final Map<String, Integer> encoder = new HashMap<>();
    private final Map<String, Integer> mergeRanks = new HashMap<>();
    private final Map<String, String[]> cache = new ConcurrentHashMap<>();

    private ClipTokenizer(InputStream gzippedMerges) throws IOException {
        List<Character> symbols = buildByteEncoder();
        List<String[]> merges = new ArrayList<>(MERGES);
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(new GZIPInputStream(gzippedMerges), StandardCharsets.UTF_8))) {
            in.readLine(); // version header
            for (int i = 0; i < MERGES; i++) {
                String line = in.readLine();
                if (line == null) {
                    throw new IOException("BPE merge list ends after " + i + " merges");
                }
                merges.add(line.split(" "));
            }
        }
        List<String> vocab = new ArrayList<>();
        for (char c : symbols) {
            vocab.add(String.valueOf(c));
        }
        for (char c : symbols) {
            vocab.add(c + "</w>");
        }
        for (int i = 0; i < merges.size(); i++) {
            String[] m = merges.get(i);
            vocab.add(m[0] + m[1]);
            mergeRanks.put(m[0] + " " + m[1], i);
        }
        vocab.add(START_TEXT);
        vocab.add(END_TEXT);
        for (int i = 0; i < vocab.size(); i++) {
            encoder.put(vocab.get(i), i);
        }
    }

    /** The tokenizer with OpenAI's merge list, loaded once. */
    public static ClipTokenizer openai() {
        ClipTokenizer t = shared;
        if (t == null) {
            synchronized (ClipTokenizer.class) {
                if (shared == null) {
                    try (InputStream in = ClipTokenizer.class.getResourceAsStream("bpe_simple_vocab_16e6.txt.gz")) {
                        if (in == null) {
                            throw new IllegalStateException("bpe_simple_vocab_16e6.txt.gz missing from the classpath");
                        }
                        shared = new ClipTokenizer(in);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                t = shared;
            }
        }
        return t;
    }

    public int vocabSize() {
        return encoder.size();
    }

    /** The BPE ids of a text, without start/end tokens or padding. */
    public List<Integer> encode(String text) {
        return symbols(text).stream().map(encoder::get).toList();
    }

    /** The BPE symbols of a text, as strings of the byte alphabet ({@code </w>} ends a word). */
    List<String> symbols(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = PIECES.matcher(TextCleaner.clean(text));
        while (m.find()) {
            String piece = m.group();
            if (piece.equals(START_TEXT) || piece.equals(END_TEXT)) {
                out.add(piece);
                continue;
            }
            StringBuilder mapped = new StringBuilder();
            for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
                mapped.append(byteEncoder[b & 0xff]);
            }
            out.addAll(List.of(bpe(mapped.toString())));
        }
        return out;
    }

    /** {@code [SOT] + ids + [EOT]}, zero-padded or truncated to {@code context} (truncation keeps EOT last). */
    public long[] tokenize(String text, int context) {
        List<Integer> ids = encode(text);
        long[] out = new long[context];
        out[0] = START_OF_TEXT;
        int n = Math.min(ids.size(), context - 1);
        for (int i = 0; i < n; i++) {
            out[1 + i] = ids.get(i);
        }
        out[Math.min(1 + ids.size(), context - 1)] = END_OF_TEXT;
        return out;
    }

    public long[] tokenize(String text) {
        return tokenize(text, CONTEXT_LENGTH);
    }

    /** A batch, row-major {@code [texts.size(), context]}. */
    public long[] tokenize(List<String> texts, int context) {
        long[] out = new long[texts.size() * context];
        for (int i = 0; i < texts.size(); i++) {
            System.arraycopy(tokenize(texts.get(i), context), 0, out, i * context, context);
        }
        return out;
    }

    private String[] bpe(String token) {
        String[] cached = cache.get(token);
        if (cached != null) {
            return cached;
        }
        List<String> word = new ArrayList<>(token.length());
        for (int i = 0; i < token.length() - 1; i++) {
            word.add(String.valueOf(token.charAt(i)));
        }
        word.add(token.charAt(token.length() - 1) + "</w>");
        while (word.size() > 1) {
            int bestRank = Integer.MAX_VALUE;
            String first = null;
            String second = null;
            for (int i = 0; i + 1 < word.size(); i++) {
                Integer rank = mergeRanks.get(word.get(i) + " " + word.get(i + 1));
                if (rank != null && rank < bestRank) {
                    bestRank = rank;
                    first = word.get(i);
                    second = word.get(i + 1);
                }
            }
            if (first == null) {
                break;
            }
            List<String> merged = new ArrayList<>(word.size());
            for (int i = 0; i < word.size();) {
                if (i + 1 < word.size() && word.get(i).equals(first) && word.get(i + 1).equals(second)) {
                    merged.add(first + second);
                    i += 2;
                } else {
                    merged.add(word.get(i));
                    i++;
                }
            }
            word = merged;
        }
        String[] result = word.toArray(new String[0]);
        if (cache.size() > CACHE_LIMIT) {
            cache.clear();
        }
        cache.put(token, result);
        return result;
    }

    /**
     * OpenAI's {@code bytes_to_unicode}: printable Latin-1 bytes map to themselves, the other bytes to
     * {@code 256 + n} in order. Returns the symbols in vocabulary order.
     */
    private List<Character> buildByteEncoder() {
        List<Integer> bs = new ArrayList<>();
        for (int b = '!'; b <= '~'; b++) {
            bs.add(b);
        }
        for (int b = 0xa1; b <= 0xac; b++) {
            bs.add(b);
        }
        for (int b = 0xae; b <= 0xff; b++) {
            bs.add(b);
        }
        List<Character> symbols = new ArrayList<>();
        for (int b : bs) {
            byteEncoder[b] = (char) b;
            symbols.add((char) b);
        }
        int n = 0;
        for (int b = 0; b < 256; b++) {
            if (!bs.contains(b)) {
                byteEncoder[b] = (char) (256 + n++);
                symbols.add(byteEncoder[b]);
            }
        }
        return symbols;
    }
}

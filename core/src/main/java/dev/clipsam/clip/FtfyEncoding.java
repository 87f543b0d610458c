package dev.clipsam.clip;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ftfy's mojibake repair ({@code ftfy.fix_encoding} with its default configuration, ftfy 6.3.1), with ftfy's
 * decision procedure: text is left alone unless it is non-ASCII and {@linkplain FtfyBadness#isBad looks bad};
 * then each single-byte encoding that could have produced it is tried in ftfy's order, re-encoding the text and
 * decoding the bytes as UTF-8 (after putting back 0xA0 bytes that became spaces, and, for the "sloppy" codecs,
 * replacing sequences that lost a byte by U+FFFD); failing that, embedded UTF-8 runs are decoded on their own,
 * then Latin-1 is read as Windows-1252, then lone C1 controls are. Repeated until the text stops changing.
 *
 * <p>The byte tables of the ten encodings come from {@code charmaps.tsv} (Python's codecs, written by
 * {@code scripts/gen-text-tables.py}).
 */
final class FtfyEncoding {

    /** The encodings ftfy tries, in its order. */
    private static final List<String> CHARMAP_ENCODINGS = List.of("latin-1", "sloppy-windows-1252",
            "sloppy-windows-1251", "sloppy-windows-1250", "sloppy-windows-1253", "sloppy-windows-1254",
            "sloppy-windows-1257", "iso-8859-2", "macroman", "cp437");
    /** The encodings whose characters ftfy's UTF-8 clues are drawn from. */
    private static final List<String> CLUE_ENCODINGS = List.of("latin-1", "sloppy-windows-1250",
            "sloppy-windows-1251", "sloppy-windows-1252", "sloppy-windows-1253", "sloppy-windows-1254",
            "sloppy-windows-1257");
    private static final Map<String, int[]> DECODE = loadCharmaps();
    private static final Map<String, Map<Integer, Integer>> ENCODE = inverses();
    private static final Map<String, BitSet> POSSIBLE = possibleCharacters();

    // Byte patterns, matched on bytes held one per char (0..255).
    /** UTF-8 that would be valid but for a 0xA0 byte turned into a space ({@code ALTERED_UTF8_RE}). */
    private static final Pattern ALTERED_UTF8 = Pattern.compile("[\\xc2\\xc3\\xc5\\xce\\xd0\\xd9][ ]"
            + "|[\\xe2\\xe3][ ][\\x80-\\x84\\x86-\\x9f\\xa1-\\xbf]"
            + "|[\\xe0-\\xe3][\\x80-\\x84\\x86-\\x9f\\xa1-\\xbf][ ]"
            + "|[\\xf0][ ][\\x80-\\xbf][\\x80-\\xbf]|[\\xf0][\\x80-\\xbf][ ][\\x80-\\xbf]"
            + "|[\\xf0][\\x80-\\xbf][\\x80-\\xbf][ ]");
    /** UTF-8 or CESU-8 sequences that lost continuation bytes (0x1A stands for U+FFFD) ({@code LOSSY_UTF8_RE}). */
    private static final Pattern LOSSY_UTF8 = Pattern.compile("[\\xc2-\\xdf][\\x1a]|[\\xc2-\\xc3][?]"
            + "|\\xed[\\xa0-\\xaf][\\x1a?]\\xed[\\xb0-\\xbf][\\x1a?\\x80-\\xbf]"
            + "|\\xed[\\xa0-\\xaf][\\x1a?\\x80-\\xbf]\\xed[\\xb0-\\xbf][\\x1a?]"
            + "|[\\xe0-\\xef][\\x1a?][\\x1a\\x80-\\xbf]|[\\xe0-\\xef][\\x1a\\x80-\\xbf][\\x1a?]"
            + "|[\\xf0-\\xf4][\\x1a?][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf]"
            + "|[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a?][\\x1a\\x80-\\xbf]"
            + "|[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf][\\x1a?]|\\x1a");
    /** "Ã " as a word: keep the space and insert 0xA0 ({@code A_GRAVE_WORD_RE}). */
    private static final Pattern A_GRAVE_WORD = Pattern.compile("\\xc3 (?! |quele|quela|quilo|s )");
    private static final Pattern C1_CONTROL = Pattern.compile("[\\x{80}-\\x{9f}]");
    /** Runs that look like UTF-8 decoded as a single-byte encoding ({@code UTF8_DETECTOR_RE}). */
    private static final Pattern UTF8_DETECTOR = utf8Detector();

    private FtfyEncoding() {
    }

    /** {@code ftfy.fix_encoding(text)}. */
    static String fixEncoding(String text) {
        while (true) {
            String fixed = oneStep(text);
            if (fixed.equals(text)) {
                return fixed;
            }
            text = fixed;
        }
    }

    private static String oneStep(String text) {
        if (text.isEmpty() || isAscii(text) || !FtfyBadness.isBad(text)) {
            return text;
        }
        List<String> possible = new ArrayList<>();
        for (String encoding : CHARMAP_ENCODINGS) {
            if (!possibleEncoding(text, encoding)) {
                continue;
            }
            possible.add(encoding);
            String bytes = encode(text, encoding);
            if (!encoding.equals("macroman") && ALTERED_UTF8.matcher(bytes).find()) {
                bytes = restoreByteA0(bytes);
            }
            if (encoding.startsWith("sloppy")) {
                bytes = LOSSY_UTF8.matcher(bytes).replaceAll("\u00ef\u00bf\u00bd");
            }
            boolean variants = bytes.indexOf('\u00ed') >= 0 || bytes.indexOf('\u00c0') >= 0;
            String fixed = variants ? decodeUtf8Variants(bytes) : decodeUtf8(bytes);
            if (fixed != null) {
                return fixed;
            }
        }
        if (UTF8_DETECTOR.matcher(text).find()) {
            String fixed = decodeInconsistentUtf8(text);
            if (!fixed.equals(text)) {
                return fixed;
            }
        }
        // ftfy asks whether "windows-1252" is among the possible encodings, which only ever holds
        // "sloppy-windows-1252", so Latin-1 text is always tried as strict Windows-1252 here.
        if (possible.contains("latin-1")) {
            String fixed = decodeStrictWindows1252(text);
            if (fixed != null && !fixed.equals(text)) {
                return fixed;
            }
        }
        if (C1_CONTROL.matcher(text).find()) {
            return fixC1Controls(text);
        }
        return text;
    }

    /** {@code ftfy.fixes.fix_c1_controls}: C1 controls read as (sloppy) Windows-1252, as browsers do. */
    static String fixC1Controls(String text) {
        int[] table = DECODE.get("sloppy-windows-1252");
        Matcher m = C1_CONTROL.matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        int last = 0;
        while (m.find()) {
            out.append(text, last, m.start()).appendCodePoint(table[text.charAt(m.start())]);
            last = m.end();
        }
        return out.append(text, last, text.length()).toString();
    }

    /** {@code decode_inconsistent_utf8}: each UTF-8-looking run that is bad on its own is repaired on its own. */
    private static String decodeInconsistentUtf8(String text) {
        int length = text.codePointCount(0, text.length());
        Matcher m = UTF8_DETECTOR.matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        int last = 0;
        while (m.find()) {
            String run = m.group();
            boolean fix = run.codePointCount(0, run.length()) < length && FtfyBadness.isBad(run);
            out.append(text, last, m.start()).append(fix ? fixEncoding(run) : run);
            last = m.end();
        }
        return out.append(text, last, text.length()).toString();
    }

    /** {@code restore_byte_a0}: "Ã " words get their 0xA0 back, then spaces inside altered UTF-8 become 0xA0. */
    private static String restoreByteA0(String bytes) {
        String b = A_GRAVE_WORD.matcher(bytes).replaceAll("\u00c3\u00a0 ");
        Matcher m = ALTERED_UTF8.matcher(b);
        StringBuilder out = new StringBuilder(b.length());
        int last = 0;
        while (m.find()) {
            out.append(b, last, m.start()).append(m.group().replace(' ', '\u00a0'));
            last = m.end();
        }
        return out.append(b, last, b.length()).toString();
    }

    private static boolean isAscii(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) > 0x7f) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code chardata.possible_encoding}: every character is ASCII other than 0x1A, or what one of the bytes
     * 0x80..0xFF or 0x1A decodes to.
     */
    private static boolean possibleEncoding(String text, String encoding) {
        BitSet allowed = POSSIBLE.get(encoding);
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            if (!allowed.get(cp)) {
                return false;
            }
            i += Character.charCount(cp);
        }
        return true;
    }

    /** The text's bytes in the encoding, one per char; only called when {@link #possibleEncoding} holds. */
    private static String encode(String text, String encoding) {
        Map<Integer, Integer> inverse = ENCODE.get(encoding);
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            out.append((char) (int) inverse.get((int) text.charAt(i)));
        }
        return out.toString();
    }

    private static byte[] raw(String bytes) {
        return bytes.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Strict UTF-8 (as Python's, which refuses surrogates and overlong forms), or null. */
    private static String decodeUtf8(String bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw(bytes))).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /**
     * ftfy's "utf-8-variants" codec, or null: strict UTF-8 that also accepts Java's two-byte null (C0 80) and
     * CESU-8 surrogate pairs (ED A0..AF xx ED B0..BF xx); any other C0 or ED A0..BF sequence fails.
     */
    private static String decodeUtf8Variants(String bytes) {
        StringBuilder out = new StringBuilder(bytes.length());
        int n = bytes.length();
        int start = 0;
        for (int i = 0; i < n; i++) {
            char b = bytes.charAt(i);
            boolean nul = b == 0xc0 && (i + 1 == n || bytes.charAt(i + 1) == 0x80);
            boolean surrogate = b == 0xed && (i + 1 == n || (bytes.charAt(i + 1) >= 0xa0 && bytes.charAt(i + 1) <= 0xbf));
            if (!nul && !surrogate) {
                continue;
            }
            String plain = decodeUtf8(bytes.substring(start, i));
            if (plain == null) {
                return null;
            }
            out.append(plain);
            if (nul) {
                if (i + 1 == n) {
                    return null;
                }
                out.append('\0');
                i += 1;
            } else {
                if (!isCesu8Pair(bytes, i)) {
                    return null;
                }
                int cp = ((bytes.charAt(i + 1) & 0x0f) << 16) + ((bytes.charAt(i + 2) & 0x3f) << 10)
                        + ((bytes.charAt(i + 4) & 0x0f) << 6) + (bytes.charAt(i + 5) & 0x3f) + 0x10000;
                out.appendCodePoint(cp);
                i += 5;
            }
            start = i + 1;
        }
        String rest = decodeUtf8(bytes.substring(start));
        return rest == null ? null : out.append(rest).toString();
    }

    private static boolean isCesu8Pair(String bytes, int i) {
        return i + 6 <= bytes.length() && inRange(bytes.charAt(i + 1), 0xa0, 0xaf)
                && inRange(bytes.charAt(i + 2), 0x80, 0xbf) && bytes.charAt(i + 3) == 0xed
                && inRange(bytes.charAt(i + 4), 0xb0, 0xbf) && inRange(bytes.charAt(i + 5), 0x80, 0xbf);
    }

    private static boolean inRange(char c, int lo, int hi) {
        return c >= lo && c <= hi;
    }

    /** {@code text.encode("latin-1").decode("windows-1252")}, or null where a byte is undefined there. */
    private static String decodeStrictWindows1252(String text) {
        int[] table = DECODE.get("windows-1252");
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            int cp = table[text.charAt(i)];
            if (cp < 0) {
                return null;
            }
            out.appendCodePoint(cp);
        }
        return out.toString();
    }

    private static Pattern utf8Detector() {
        // ftfy's UTF8_CLUES: what the lead bytes of 2-, 3- and 4-byte sequences (0xC2..0xDF, 0xE0..0xEF, 0xF0 and
        // 0xF3) and the continuation bytes 0x80..0xBF decode to in Latin-1 and the Windows code pages; a space may
        // stand for 0xA0; the "strict" continuation set leaves out spaces, dashes, quotes, bullet and ellipsis.
        String first2 = clueClass(0xc2, 0xdf);
        String first3 = clueClass(0xe0, 0xef);
        BitSet four = clues(0xf0, 0xf0);
        four.or(clues(0xf3, 0xf3));
        String first4 = charClass(four);
        BitSet continuation = clues(0x80, 0xbf);
        continuation.set(0x80, 0xc0);
        BitSet strict = (BitSet) continuation.clone();
        for (int cp : new int[] {0x2013, 0x2014, 0x2015, 0x2018, 0x2019, 0x201a, 0x201c, 0x201d, 0x201e, 0x2022,
            0x2026}) {
            strict.clear(cp);
        }
        continuation.set(' ');
        String cont = charClass(continuation);
        return Pattern.compile("(?<!" + charClass(strict) + ")(?:" + first2 + cont + "|" + first3 + cont + "{2}|"
                + first4 + cont + "{3})+");
    }

    private static String clueClass(int fromByte, int toByte) {
        return charClass(clues(fromByte, toByte));
    }

    private static BitSet clues(int fromByte, int toByte) {
        BitSet set = new BitSet();
        for (String encoding : CLUE_ENCODINGS) {
            int[] table = DECODE.get(encoding);
            for (int b = fromByte; b <= toByte; b++) {
                set.set(table[b]);
            }
        }
        return set;
    }

    private static String charClass(BitSet set) {
        StringBuilder out = new StringBuilder("[");
        set.stream().forEach(cp -> out.append("\\x{").append(Integer.toHexString(cp)).append('}'));
        return out.append(']').toString();
    }

    private static Map<String, int[]> loadCharmaps() {
        Map<String, int[]> map = new HashMap<>();
        try (InputStream in = FtfyEncoding.class.getResourceAsStream("charmaps.tsv")) {
            if (in == null) {
                throw new IllegalStateException("charmaps.tsv missing from the classpath");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int tab = line.indexOf('\t');
                String[] cells = line.substring(tab + 1).split(" ");
                int[] table = new int[256];
                for (int b = 0; b < 256; b++) {
                    table[b] = cells[b].equals("-") ? -1 : Integer.parseInt(cells[b], 16);
                }
                map.put(line.substring(0, tab), table);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return map;
    }

    private static Map<String, BitSet> possibleCharacters() {
        Map<String, BitSet> map = new HashMap<>();
        for (String encoding : CHARMAP_ENCODINGS) {
            int[] table = DECODE.get(encoding);
            BitSet allowed = new BitSet();
            allowed.set(0x00, 0x1a);
            allowed.set(0x1b, 0x80);
            for (int b = 0x80; b < 0x100; b++) {
                allowed.set(table[b]);
            }
            allowed.set(table[0x1a]);
            map.put(encoding, allowed);
        }
        return map;
    }

    private static Map<String, Map<Integer, Integer>> inverses() {
        Map<String, Map<Integer, Integer>> map = new HashMap<>();
        for (String encoding : CHARMAP_ENCODINGS) {
            int[] table = DECODE.get(encoding);
            Map<Integer, Integer> inverse = new HashMap<>();
            for (int b = 0; b < 256; b++) {
                inverse.putIfAbsent(table[b], b);
            }
            map.put(encoding, inverse);
        }
        return map;
    }
}

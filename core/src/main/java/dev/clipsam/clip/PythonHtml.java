package dev.clipsam.clip;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Python's {@code html.unescape} (Python 3.11), exactly: the HTML5 character-reference rules, with the table of
 * named references ({@code html.entities.html5}, 2231 names) read from {@code html5_entities.tsv}, which
 * {@code scripts/gen-text-tables.py} writes from Python's standard library.
 *
 * <p>Beyond a plain entity decoder this means: legacy names decode without a semicolon ({@code &amp b},
 * {@code &lt3}) and as the longest name that prefixes the text ({@code &notit;} is {@code ¬it;}); numeric
 * references need no semicolon; code points 0x80..0x9F are read as Windows-1252, 0 and surrogates and code points
 * past U+10FFFF become U+FFFD, and the other "invalid" code points (most controls, non-characters) vanish.
 */
final class PythonHtml {

    /** {@code html._charref}: the name part is 1..32 code points other than tab, LF, FF, space, & < # ;. */
    private static final Pattern CHARREF = Pattern.compile(
            "&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\\t\\n\\f <&#;]{1,32};?)");
    private static final Map<String, String> HTML5 = loadEntities();
    /** Windows-1252 readings of 0x80..0x9F per the HTML5 standard ({@code html._invalid_charrefs}). */
    private static final String C1_AS_1252 = "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160"
            + "\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161"
            + "\u203a\u0153\u009d\u017e\u0178";

    private PythonHtml() {
    }

    /** {@code html.entities.html5}: names (with or without the trailing ';') to their text. */
    static Map<String, String> html5() {
        return HTML5;
    }

    /** {@code html.unescape(s)}. */
    static String unescape(String s) {
        if (s.indexOf('&') < 0) {
            return s;
        }
        Matcher m = CHARREF.matcher(s);
        StringBuilder out = new StringBuilder(s.length());
        int last = 0;
        while (m.find()) {
            out.append(s, last, m.start()).append(replace(m.group(1)));
            last = m.end();
        }
        return out.append(s, last, s.length()).toString();
    }

    private static String replace(String ref) {
        if (ref.charAt(0) == '#') {
            boolean hex = ref.charAt(1) == 'x' || ref.charAt(1) == 'X';
            String digits = stripTrailingSemicolons(ref.substring(hex ? 2 : 1));
            return numeric(codePointValue(digits, hex ? 16 : 10));
        }
        String whole = HTML5.get(ref);
        if (whole != null) {
            return whole;
        }
        // The longest name (at least two code points) that starts the reference, the rest kept as text.
        int[] ends = ref.codePoints().toArray();
        int offset = ref.length();
        for (int x = ends.length - 1; x > 1; x--) {
            offset -= Character.charCount(ends[x]);
            String prefix = HTML5.get(ref.substring(0, offset));
            if (prefix != null) {
                return prefix + ref.substring(offset);
            }
        }
        return "&" + ref;
    }

    private static String stripTrailingSemicolons(String s) {
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == ';') {
            end--;
        }
        return s.substring(0, end);
    }

    /** The number, or {@code Long.MAX_VALUE} when it is larger than any code point (Python's int is unbounded). */
    private static long codePointValue(String digits, int radix) {
        int start = 0;
        while (start < digits.length() - 1 && digits.charAt(start) == '0') {
            start++;
        }
        String significant = digits.substring(start);
        return significant.length() > 8 ? Long.MAX_VALUE : Long.parseLong(significant, radix);
    }

    private static String numeric(long num) {
        if (num == 0x00) {
            return "\ufffd";
        }
        if (num == 0x0d) {
            return "\r";
        }
        if (num >= 0x80 && num <= 0x9f) {
            return String.valueOf(C1_AS_1252.charAt((int) num - 0x80));
        }
        if ((num >= 0xd800 && num <= 0xdfff) || num > 0x10ffff) {
            return "\ufffd";
        }
        int cp = (int) num;
        if (invalidCodePoint(cp)) {
            return "";
        }
        return new String(Character.toChars(cp));
    }

    /** {@code html._invalid_codepoints}: C0 controls but whitespace, DEL and C1, and the non-characters. */
    private static boolean invalidCodePoint(int cp) {
        return (cp >= 0x1 && cp <= 0x8) || cp == 0xb || (cp >= 0xe && cp <= 0x1f) || (cp >= 0x7f && cp <= 0x9f)
                || (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe;
    }

    private static Map<String, String> loadEntities() {
        Map<String, String> map = new LinkedHashMap<>();
        try (InputStream in = PythonHtml.class.getResourceAsStream("html5_entities.tsv")) {
            if (in == null) {
                throw new IllegalStateException("html5_entities.tsv missing from the classpath");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int tab = line.indexOf('\t');
                StringBuilder text = new StringBuilder();
                for (String hex : line.substring(tab + 1).split(" ")) {
                    text.appendCodePoint(Integer.parseInt(hex, 16));
                }
                map.put(line.substring(0, tab), text.toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Collections.unmodifiableMap(map);
    }
}

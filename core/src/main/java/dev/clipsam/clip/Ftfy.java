package dev.clipsam.clip;

import java.text.Normalizer;
import java.util.Collections;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ftfy.fix_text} with its default configuration (ftfy 6.3.1), which CLIP's tokenizer applies first.
 *
 * <p>The text is fixed line by line (each segment ends after a '\n'). HTML unescaping is on until a line holds
 * a {@code <} (then it stays off for the rest of the text). Each line gets, in ftfy's order and repeated until
 * nothing changes: ftfy's HTML unescaping, {@linkplain FtfyEncoding#fixEncoding mojibake repair}, C1 controls as
 * Windows-1252, Latin ligatures split, full- and half-width forms to normal width, curly quotes straightened,
 * line breaks to '\n', lone surrogates to U+FFFD, terminal escapes and control characters removed, NFC.
 *
 * <p>What differs from ftfy: Java's Unicode tables (NFC, NFKC for the width map, upper case) are those of the
 * running JDK, Python's those of its own version, so characters assigned in between may normalise differently;
 * the segment cut for lines over a million characters counts UTF-16 units, not code points.
 */
final class Ftfy {

    private static final int MAX_DECODE_LENGTH = 1_000_000;
    /** {@code chardata.HTML_ENTITY_RE}. */
    private static final Pattern HTML_ENTITY = Pattern.compile("&#?[0-9A-Za-z]{1,24};");
    /** {@code chardata.HTML_ENTITIES}: every HTML5 name with its ';', and upper-cased lower-case names. */
    private static final Map<String, String> HTML_ENTITIES = htmlEntities();
    /** {@code fixes.ANSI_RE}; Python's {@code \d} is any decimal digit. */
    private static final Pattern ANSI_ESCAPE = Pattern.compile("\u001b\\[((?:\\p{Nd}|;)*)([a-zA-Z])");
    private static final Pattern SINGLE_QUOTE = Pattern.compile("[\\x{2bc}\\x{2018}-\\x{201b}]");
    private static final Pattern DOUBLE_QUOTE = Pattern.compile("[\\x{201c}-\\x{201f}]");
    private static final Map<Integer, String> LIGATURES = Map.ofEntries(Map.entry(0x132, "IJ"),
            Map.entry(0x133, "ij"), Map.entry(0x149, "\u02bcn"), Map.entry(0x1f1, "DZ"), Map.entry(0x1f2, "Dz"),
            Map.entry(0x1f3, "dz"), Map.entry(0x1c4, "D\u017d"), Map.entry(0x1c5, "D\u017e"),
            Map.entry(0x1c6, "d\u017e"), Map.entry(0x1c7, "LJ"), Map.entry(0x1c8, "Lj"), Map.entry(0x1c9, "lj"),
            Map.entry(0x1ca, "NJ"), Map.entry(0x1cb, "Nj"), Map.entry(0x1cc, "nj"), Map.entry(0xfb00, "ff"),
            Map.entry(0xfb01, "fi"), Map.entry(0xfb02, "fl"), Map.entry(0xfb03, "ffi"), Map.entry(0xfb04, "ffl"),
            Map.entry(0xfb05, "\u017ft"), Map.entry(0xfb06, "st"));
    /** {@code chardata.WIDTH_MAP}: U+3000 to a space, U+FF01..U+FFEF to their NFKC form where it differs. */
    private static final Map<Integer, String> WIDTH_MAP = widthMap();

    private Ftfy() {
    }

    /** {@code ftfy.fix_text(text)}. */
    static String fixText(String text) {
        StringBuilder out = new StringBuilder(text.length());
        boolean unescapeHtml = true;
        int pos = 0;
        while (pos < text.length()) {
            int end = text.indexOf('\n', pos) + 1;
            if (end == 0) {
                end = text.length();
            }
            if (end - pos > MAX_DECODE_LENGTH) {
                end = pos + MAX_DECODE_LENGTH;
            }
            String segment = text.substring(pos, end);
            if (segment.indexOf('<') >= 0) {
                unescapeHtml = false;
            }
            out.append(fixSegment(segment, unescapeHtml));
            pos = end;
        }
        return out.toString();
    }

    /** {@code ftfy.fix_and_explain} without the explanation: every fix in order, until the text is stable. */
    private static String fixSegment(String text, boolean unescapeHtml) {
        while (true) {
            String original = text;
            if (unescapeHtml) {
                text = unescapeHtml(text);
            }
            text = FtfyEncoding.fixEncoding(text);
            text = FtfyEncoding.fixC1Controls(text);
            text = translate(text, LIGATURES);
            text = translate(text, WIDTH_MAP);
            text = SINGLE_QUOTE.matcher(DOUBLE_QUOTE.matcher(text).replaceAll("\"")).replaceAll("'");
            text = fixLineBreaks(text);
            text = fixSurrogates(text);
            text = ANSI_ESCAPE.matcher(text).replaceAll("");
            text = removeControlChars(text);
            text = Normalizer.normalize(text, Normalizer.Form.NFC);
            if (text.equals(original)) {
                return text;
            }
        }
    }

    /**
     * {@code fixes.unescape_html}: only references that end in ';' are decoded: HTML5 names, the upper-case forms
     * of lower-case names ({@code &EACUTE;}), and numeric references the way {@code html.unescape} reads them.
     */
    static String unescapeHtml(String text) {
        Matcher m = HTML_ENTITY.matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        int last = 0;
        while (m.find()) {
            String entity = m.group();
            String replacement = HTML_ENTITIES.get(entity);
            if (replacement == null) {
                replacement = entity;
                if (entity.startsWith("&#")) {
                    String unescaped = PythonHtml.unescape(entity);
                    // A reference only partly decoded (its ';' left over) is kept as it was.
                    if (unescaped.indexOf(';') < 0) {
                        replacement = unescaped;
                    }
                }
            }
            out.append(text, last, m.start()).append(replacement);
            last = m.end();
        }
        return out.append(text, last, text.length()).toString();
    }

    private static String fixLineBreaks(String text) {
        return text.replace("\r\n", "\n").replace('\r', '\n').replace('\u2028', '\n').replace('\u2029', '\n')
                .replace('\u0085', '\n');
    }

    /** Surrogate pairs are already one code point in Java; a lone surrogate becomes U+FFFD. */
    private static String fixSurrogates(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int width = Character.charCount(cp);
            boolean lone = cp >= 0xd800 && cp <= 0xdfff;
            if (lone && out == null) {
                out = new StringBuilder(text.length()).append(text, 0, i);
            }
            if (out != null) {
                out.appendCodePoint(lone ? 0xfffd : cp);
            }
            i += width;
        }
        return out == null ? text : out.toString();
    }

    /** {@code fixes.remove_control_chars}: C0 controls but tab, LF, FF, CR; DEL; U+206A..F; BOM; U+FFF9..C. */
    private static String removeControlChars(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean control = c <= 0x08 || c == 0x0b || (c >= 0x0e && c <= 0x1f) || c == 0x7f
                    || (c >= 0x206a && c <= 0x206f) || c == 0xfeff || (c >= 0xfff9 && c <= 0xfffc);
            if (control && out == null) {
                out = new StringBuilder(text.length()).append(text, 0, i);
            }
            if (out != null && !control) {
                out.append(c);
            }
        }
        return out == null ? text : out.toString();
    }

    /** {@code str.translate} with a map from code points to replacement text. */
    private static String translate(String text, Map<Integer, String> map) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            String replacement = map.get(cp);
            if (replacement != null && out == null) {
                out = new StringBuilder(text.length() + 8).append(text, 0, i);
            }
            if (out != null) {
                if (replacement != null) {
                    out.append(replacement);
                } else {
                    out.appendCodePoint(cp);
                }
            }
            i += Character.charCount(cp);
        }
        return out == null ? text : out.toString();
    }

    private static Map<String, String> htmlEntities() {
        Map<String, String> entities = new HashMap<>();
        for (Map.Entry<String, String> e : PythonHtml.html5().entrySet()) {
            String name = e.getKey();
            if (!name.endsWith(";")) {
                continue;
            }
            entities.put("&" + name, e.getValue());
            // Upper-cased names are decoded only for lower-case names whose upper case is no reference itself.
            if (name.equals(name.toLowerCase(Locale.ROOT))) {
                String upper = "&" + name.toUpperCase(Locale.ROOT);
                if (PythonHtml.unescape(upper).equals(upper)) {
                    entities.put(upper, e.getValue().toUpperCase(Locale.ROOT));
                }
            }
        }
        return Collections.unmodifiableMap(entities);
    }

    private static Map<Integer, String> widthMap() {
        Map<Integer, String> map = new HashMap<>();
        map.put(0x3000, " ");
        for (int cp = 0xff01; cp < 0xfff0; cp++) {
            String c = String.valueOf((char) cp);
            String alternate = Normalizer.normalize(c, Normalizer.Form.NFKC);
            if (!alternate.equals(c)) {
                map.put(cp, alternate);
            }
        }
        return Collections.unmodifiableMap(map);
    }
}

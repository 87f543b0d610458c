package dev.clipsam.clip;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.commons.text.StringEscapeUtils;

/**
 * The text clean-up OpenAI's CLIP tokenizer applies before BPE ({@code basic_clean}, {@code whitespace_clean},
 * {@code lower}): {@code ftfy.fix_text}, HTML unescaping twice, whitespace runs to one space, lower case.
 *
 * <p>ftfy is not available in Java, so its default fixes are re-implemented for what occurs in text prompts:
 * HTML entities (when the text holds no {@code <}), terminal escapes, UTF-8 read as Windows-1252 ("mojibake"),
 * C1 control characters, Latin ligatures, full-width characters, curly quotes, line breaks, control characters
 * and NFC normalisation. ftfy's statistical detection of rarer mojibake is not reproduced: a string is re-decoded
 * only when it contains a UTF-8 lead/continuation pair as Windows-1252 shows it and the whole string re-decodes
 * strictly.
 */
final class TextCleaner {

    private static final Pattern WHITESPACE = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern TERMINAL_ESCAPE = Pattern.compile("\u001b\\[[0-9;]*[a-zA-Z]");
    /** A UTF-8 lead byte followed by a continuation byte, both shown as Windows-1252 characters. */
    private static final Pattern MOJIBAKE = Pattern.compile(
            "[\u00c2-\u00f4][\u0080-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152"
                    + "\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178]");
    private static final Pattern SINGLE_QUOTES = Pattern.compile("[\u02bc\u2018-\u201b]");
    private static final Pattern DOUBLE_QUOTES = Pattern.compile("[\u201c-\u201f]");
    private static final Pattern LINE_BREAKS = Pattern.compile("\r\n|[\r\u2028\u2029\u0085]");
    /** ftfy's {@code CONTROL_CHARS}: C0 controls other than tab/newline/form feed, DEL, bidi/format leftovers. */
    private static final Pattern CONTROL = Pattern.compile(
            "[\u0000-\u0008\u000b\u000e-\u001f\u007f\u206a-\u206f\ufff9-\ufffc\ufeff]");
    private static final Map<Character, String> LIGATURES = Map.ofEntries(Map.entry('\u0132', "IJ"),
            Map.entry('\u0133', "ij"), Map.entry('\u0149', "\u02bcn"), Map.entry('\u01c4', "D\u017d"),
            Map.entry('\u01c5', "D\u017e"), Map.entry('\u01c6', "d\u017e"), Map.entry('\u01c7', "LJ"),
            Map.entry('\u01c8', "Lj"), Map.entry('\u01c9', "lj"), Map.entry('\u01ca', "NJ"),
            Map.entry('\u01cb', "Nj"), Map.entry('\u01cc', "nj"), Map.entry('\ufb00', "ff"),
            Map.entry('\ufb01', "fi"), Map.entry('\ufb02', "fl"), Map.entry('\ufb03', "ffi"),
            Map.entry('\ufb04', "ffl"), Map.entry('\ufb05', "\u017ft"), Map.entry('\ufb06', "st"));

    private TextCleaner() {
    }

    /** The text the BPE splitter sees. */
    static String clean(String text) {
        String t = fixText(text);
        t = StringEscapeUtils.unescapeHtml4(StringEscapeUtils.unescapeHtml4(t)).strip();
        t = WHITESPACE.matcher(t).replaceAll(" ").strip();
        return t.toLowerCase(Locale.ROOT);
    }

    /** The subset of {@code ftfy.fix_text} described in the class comment, in ftfy's order. */
    static String fixText(String text) {
        String t = text;
        if (t.indexOf('<') < 0) {
            t = StringEscapeUtils.unescapeHtml4(t);
        }
        t = TERMINAL_ESCAPE.matcher(t).replaceAll("");
        t = fixEncoding(t);
        t = fixC1Controls(t);
        t = fixLigatures(t);
        t = fixCharacterWidth(t);
        t = SINGLE_QUOTES.matcher(t).replaceAll("'");
        t = DOUBLE_QUOTES.matcher(t).replaceAll("\"");
        t = LINE_BREAKS.matcher(t).replaceAll("\n");
        t = CONTROL.matcher(t).replaceAll("");
        return Normalizer.normalize(t, Normalizer.Form.NFC);
    }

    private static String fixEncoding(String t) {
        if (!MOJIBAKE.matcher(t).find()) {
            return t;
        }
        byte[] bytes = new byte[t.length()];
        for (int i = 0; i < t.length(); i++) {
            int b = windows1252Byte(t.charAt(i));
            if (b < 0) {
                return t;
            }
            bytes[i] = (byte) b;
        }
        try {
            CharBuffer decoded = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
            return decoded.toString();
        } catch (CharacterCodingException e) {
            return t;
        }
    }

    /** The byte a character has in "sloppy" Windows-1252 (undefined bytes map to the C1 code points), or -1. */
    private static int windows1252Byte(char c) {
        if (c < 0x80 || (c >= 0xa0 && c <= 0xff) || c == 0x81 || c == 0x8d || c == 0x8f || c == 0x90 || c == 0x9d) {
            return c;
        }
        String upper = "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d"
                + "\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178";
        int i = upper.indexOf(c);
        return i < 0 ? -1 : 0x80 + i;
    }

    /** C1 controls (U+0080..U+009F) are almost always Windows-1252 bytes decoded as Latin-1. */
    private static String fixC1Controls(String t) {
        StringBuilder out = null;
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c >= 0x80 && c <= 0x9f) {
                if (out == null) {
                    out = new StringBuilder(t.substring(0, i));
                }
                byte[] one = {(byte) c};
                String decoded = new String(one, java.nio.charset.Charset.forName("windows-1252"));
                out.append(decoded.charAt(0) == '\ufffd' ? c : decoded.charAt(0));
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? t : out.toString();
    }

    private static String fixLigatures(String t) {
        StringBuilder out = new StringBuilder(t.length());
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            out.append(LIGATURES.getOrDefault(c, String.valueOf(c)));
        }
        return out.toString();
    }

    /** Full-width ASCII, the ideographic space and half-width katakana become their normal-width forms. */
    private static String fixCharacterWidth(String t) {
        StringBuilder out = new StringBuilder(t.length());
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c == '\u3000' || (c >= '\uff01' && c <= '\uffee')) {
                out.append(Normalizer.normalize(String.valueOf(c), Normalizer.Form.NFKC));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}

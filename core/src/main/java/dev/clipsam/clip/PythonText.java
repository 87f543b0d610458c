package dev.clipsam.clip;

/**
 * Python's definitions of whitespace and word characters for {@code str}, where they differ from Java's:
 * {@code str.isspace()} (and {@code \s} in {@code re}) also counts U+001C..U+001F, U+0085, U+00A0, U+2007 and
 * U+202F, which {@link String#strip()} or a plain {@code \s} do not.
 */
final class PythonText {

    /** {@code \s} of Python's {@code re} on {@code str}, as a Java character class (the 29 code points). */
    static final String SPACE_CLASS = "[\\t-\\r\\x{1c}-\\x{20}\\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}"
            + "\\x{2029}\\x{202f}\\x{205f}\\x{3000}]";
    /** {@code \w} of Python's {@code re} on {@code str}: letters, numbers and the underscore. */
    static final String WORD_CLASS = "[\\p{L}\\p{N}_]";

    private PythonText() {
    }

    /** {@code str.isspace()} for one code point: bidirectional class WS, B or S, or general category Zs. */
    static boolean isSpace(int cp) {
        if (Character.getType(cp) == Character.SPACE_SEPARATOR) {
            return true;
        }
        byte bidi = Character.getDirectionality(cp);
        return bidi == Character.DIRECTIONALITY_WHITESPACE || bidi == Character.DIRECTIONALITY_PARAGRAPH_SEPARATOR
                || bidi == Character.DIRECTIONALITY_SEGMENT_SEPARATOR;
    }

    /** {@code str.strip()}. */
    static String strip(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isSpace(s.codePointAt(start))) {
            start += Character.charCount(s.codePointAt(start));
        }
        while (end > start && isSpace(s.codePointBefore(end))) {
            end -= Character.charCount(s.codePointBefore(end));
        }
        return s.substring(start, end);
    }

    /** {@code re.sub(r'\s+', ' ', s)}. */
    static String collapseSpaces(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean inRun = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (isSpace(cp)) {
                if (!inRun) {
                    out.append(' ');
                }
                inRun = true;
            } else {
                out.appendCodePoint(cp);
                inRun = false;
            }
        }
        return out.toString();
    }
}

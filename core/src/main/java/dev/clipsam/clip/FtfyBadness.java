package dev.clipsam.clip;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ftfy's mojibake detector ({@code ftfy.badness}, ftfy 6.3.1): text "is bad" when it holds a sequence of
 * characters that almost only occurs when UTF-8 was decoded in a single-byte encoding, such as a lower-case
 * accented letter followed by a currency sign. The character categories and the sequences below are ftfy's; the
 * expression is built the way ftfy builds it, with Python's {@code \s} and {@code \w}.
 */
final class FtfyBadness {

    /** The categories of the few hundred characters that occur in UTF-8 mojibake (class contents). */
    private static final Map<String, String> CATEGORIES = Map.ofEntries(
            Map.entry("common", "\\N{NO-BREAK SPACE}\\N{SOFT HYPHEN}\\N{MIDDLE DOT}\\N{ACUTE ACCENT}\\N{EN DASH}"
                    + "\\N{EM DASH}\\N{HORIZONTAL BAR}\\N{HORIZONTAL ELLIPSIS}\\N{RIGHT SINGLE QUOTATION MARK}"),
            Map.entry("c1", "\\x{80}-\\x{9f}"),
            Map.entry("bad", "\\N{BROKEN BAR}\\N{CURRENCY SIGN}\\N{DIAERESIS}\\N{NOT SIGN}\\N{MACRON}\\N{CEDILLA}"
                    + "\\N{LATIN SMALL LETTER F WITH HOOK}\\N{MODIFIER LETTER CIRCUMFLEX ACCENT}\\N{CARON}"
                    + "\\N{BREVE}\\N{OGONEK}\\N{SMALL TILDE}\\N{DAGGER}\\N{DOUBLE DAGGER}\\N{PER MILLE SIGN}"
                    + "\\N{REVERSED NOT SIGN}\\N{LOZENGE}\\x{fffd}\\N{FEMININE ORDINAL INDICATOR}"
                    + "\\N{MASCULINE ORDINAL INDICATOR}"),
            Map.entry("law", "\\N{PILCROW SIGN}\\N{SECTION SIGN}"),
            Map.entry("currency", "\\N{CENT SIGN}\\N{POUND SIGN}\\N{YEN SIGN}\\N{PESETA SIGN}\\N{EURO SIGN}"),
            Map.entry("start_punctuation", "\\N{INVERTED EXCLAMATION MARK}"
                    + "\\N{LEFT-POINTING DOUBLE ANGLE QUOTATION MARK}\\N{INVERTED QUESTION MARK}\\N{COPYRIGHT SIGN}"
                    + "\\N{GREEK TONOS}\\N{GREEK DIALYTIKA TONOS}\\N{LEFT SINGLE QUOTATION MARK}"
                    + "\\N{SINGLE LOW-9 QUOTATION MARK}\\N{LEFT DOUBLE QUOTATION MARK}"
                    + "\\N{DOUBLE LOW-9 QUOTATION MARK}\\N{BULLET}\\N{SINGLE LEFT-POINTING ANGLE QUOTATION MARK}"
                    + "\\x{f8ff}"),
            Map.entry("end_punctuation", "\\N{REGISTERED SIGN}\\N{RIGHT-POINTING DOUBLE ANGLE QUOTATION MARK}"
                    + "\\N{DOUBLE ACUTE ACCENT}\\N{RIGHT DOUBLE QUOTATION MARK}"
                    + "\\N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}\\N{TRADE MARK SIGN}"),
            Map.entry("numeric", "\\N{SUPERSCRIPT TWO}\\N{SUPERSCRIPT THREE}\\N{SUPERSCRIPT ONE}"
                    + "\\N{PLUS-MINUS SIGN}\\N{VULGAR FRACTION ONE QUARTER}\\N{VULGAR FRACTION ONE HALF}"
                    + "\\N{VULGAR FRACTION THREE QUARTERS}\\N{MULTIPLICATION SIGN}\\N{MICRO SIGN}\\N{DIVISION SIGN}"
                    + "\\N{FRACTION SLASH}\\N{PARTIAL DIFFERENTIAL}\\N{INCREMENT}\\N{N-ARY PRODUCT}"
                    + "\\N{N-ARY SUMMATION}\\N{SQUARE ROOT}\\N{INFINITY}\\N{INTERSECTION}\\N{INTEGRAL}"
                    + "\\N{ALMOST EQUAL TO}\\N{NOT EQUAL TO}\\N{IDENTICAL TO}\\N{LESS-THAN OR EQUAL TO}"
                    + "\\N{GREATER-THAN OR EQUAL TO}\\N{NUMERO SIGN}"),
            // Letters of emoticon faces (kaomoji), which may sit in improbable-looking contexts.
            Map.entry("kaomoji", "\\x{d2}-\\x{d6}\\x{d9}-\\x{dc}\\x{f2}-\\x{f6}\\x{f8}-\\x{fc}"
                    + "\\N{LATIN CAPITAL LETTER O WITH DOUBLE ACUTE}\\N{LATIN CAPITAL LETTER O WITH MACRON}"
                    + "\\N{LATIN CAPITAL LETTER U WITH MACRON}\\N{LATIN CAPITAL LETTER U WITH OGONEK}"
                    + "\\N{DEGREE SIGN}"),
            Map.entry("upper_accented", "\\x{c0}-\\x{d1}"
                    + "\\N{LATIN CAPITAL LETTER O WITH STROKE}\\N{LATIN CAPITAL LETTER U WITH DIAERESIS}"
                    + "\\N{LATIN CAPITAL LETTER Y WITH ACUTE}\\N{LATIN CAPITAL LETTER A WITH BREVE}"
                    + "\\N{LATIN CAPITAL LETTER A WITH MACRON}\\N{LATIN CAPITAL LETTER A WITH OGONEK}"
                    + "\\N{LATIN CAPITAL LETTER C WITH ACUTE}\\N{LATIN CAPITAL LETTER C WITH CARON}"
                    + "\\N{LATIN CAPITAL LETTER D WITH CARON}\\N{LATIN CAPITAL LETTER D WITH STROKE}"
                    + "\\N{LATIN CAPITAL LETTER E WITH OGONEK}\\N{LATIN CAPITAL LETTER E WITH CARON}"
                    + "\\N{LATIN CAPITAL LETTER E WITH MACRON}\\N{LATIN CAPITAL LETTER E WITH DOT ABOVE}"
                    + "\\N{LATIN CAPITAL LETTER G WITH BREVE}\\N{LATIN CAPITAL LETTER G WITH CEDILLA}"
                    + "\\N{LATIN CAPITAL LETTER I WITH DOT ABOVE}\\N{LATIN CAPITAL LETTER I WITH MACRON}"
                    + "\\N{LATIN CAPITAL LETTER K WITH CEDILLA}\\N{LATIN CAPITAL LETTER L WITH ACUTE}"
                    + "\\N{LATIN CAPITAL LETTER L WITH CARON}\\N{LATIN CAPITAL LETTER L WITH STROKE}"
                    + "\\N{LATIN CAPITAL LETTER L WITH CEDILLA}\\N{LATIN CAPITAL LETTER N WITH ACUTE}"
                    + "\\N{LATIN CAPITAL LETTER N WITH CARON}\\N{LATIN CAPITAL LETTER N WITH CEDILLA}"
                    + "\\N{LATIN CAPITAL LIGATURE OE}\\N{LATIN CAPITAL LETTER R WITH CARON}"
                    + "\\N{LATIN CAPITAL LETTER S WITH ACUTE}\\N{LATIN CAPITAL LETTER S WITH CEDILLA}"
                    + "\\N{LATIN CAPITAL LETTER S WITH CARON}\\N{LATIN CAPITAL LETTER T WITH CEDILLA}"
                    + "\\N{LATIN CAPITAL LETTER T WITH CARON}\\N{LATIN CAPITAL LETTER U WITH RING ABOVE}"
                    + "\\N{LATIN CAPITAL LETTER U WITH DOUBLE ACUTE}\\N{LATIN CAPITAL LETTER Y WITH DIAERESIS}"
                    + "\\N{LATIN CAPITAL LETTER Z WITH ACUTE}\\N{LATIN CAPITAL LETTER Z WITH DOT ABOVE}"
                    + "\\N{LATIN CAPITAL LETTER Z WITH CARON}\\N{CYRILLIC CAPITAL LETTER GHE WITH UPTURN}"),
            Map.entry("lower_accented", "\\N{LATIN SMALL LETTER SHARP S}\\x{e0}-\\x{f1}"
                    + "\\N{LATIN SMALL LETTER A WITH BREVE}\\N{LATIN SMALL LETTER A WITH OGONEK}"
                    + "\\N{LATIN SMALL LETTER A WITH MACRON}\\N{LATIN SMALL LETTER C WITH ACUTE}"
                    + "\\N{LATIN SMALL LETTER C WITH CARON}\\N{LATIN SMALL LETTER D WITH CARON}"
                    + "\\N{LATIN SMALL LETTER D WITH STROKE}\\N{LATIN SMALL LETTER E WITH OGONEK}"
                    + "\\N{LATIN SMALL LETTER E WITH CARON}\\N{LATIN SMALL LETTER E WITH MACRON}"
                    + "\\N{LATIN SMALL LETTER E WITH DOT ABOVE}\\N{LATIN SMALL LETTER G WITH BREVE}"
                    + "\\N{LATIN SMALL LETTER G WITH CEDILLA}\\N{LATIN SMALL LETTER I WITH OGONEK}"
                    + "\\N{LATIN SMALL LETTER I WITH MACRON}\\N{LATIN SMALL LETTER K WITH CEDILLA}"
                    + "\\N{LATIN SMALL LETTER L WITH ACUTE}\\N{LATIN SMALL LETTER L WITH CARON}"
                    + "\\N{LATIN SMALL LETTER L WITH STROKE}\\N{LATIN SMALL LETTER L WITH CEDILLA}"
                    + "\\N{LATIN SMALL LIGATURE OE}\\N{LATIN SMALL LETTER R WITH ACUTE}"
                    + "\\N{LATIN SMALL LETTER S WITH ACUTE}\\N{LATIN SMALL LETTER S WITH CEDILLA}"
                    + "\\N{LATIN SMALL LETTER S WITH CARON}\\N{LATIN SMALL LETTER T WITH CARON}"
                    + "\\N{LATIN SMALL LETTER U WITH DIAERESIS}\\N{LATIN SMALL LETTER Z WITH ACUTE}"
                    + "\\N{LATIN SMALL LETTER Z WITH DOT ABOVE}\\N{LATIN SMALL LETTER Z WITH CARON}"
                    + "\\N{CYRILLIC SMALL LETTER GHE WITH UPTURN}\\N{LATIN SMALL LIGATURE FI}"
                    + "\\N{LATIN SMALL LIGATURE FL}"),
            Map.entry("upper_common", "\\N{LATIN CAPITAL LETTER THORN}"
                    + "\\N{GREEK CAPITAL LETTER ALPHA}-\\N{GREEK CAPITAL LETTER OMEGA}"
                    + "\\N{GREEK CAPITAL LETTER ALPHA WITH TONOS}\\N{GREEK CAPITAL LETTER EPSILON WITH TONOS}"
                    + "\\N{GREEK CAPITAL LETTER ETA WITH TONOS}\\N{GREEK CAPITAL LETTER IOTA WITH TONOS}"
                    + "\\N{GREEK CAPITAL LETTER OMICRON WITH TONOS}\\N{GREEK CAPITAL LETTER UPSILON WITH TONOS}"
                    + "\\N{GREEK CAPITAL LETTER OMEGA WITH TONOS}\\N{GREEK CAPITAL LETTER IOTA WITH DIALYTIKA}"
                    + "\\N{GREEK CAPITAL LETTER UPSILON WITH DIALYTIKA}"
                    + "\\N{CYRILLIC CAPITAL LETTER IO}-\\N{CYRILLIC CAPITAL LETTER YA}"),
            Map.entry("lower_common", "\\N{GREEK SMALL LETTER ALPHA}-\\N{GREEK SMALL LETTER OMEGA}"
                    + "\\N{GREEK SMALL LETTER ALPHA WITH TONOS}\\N{GREEK SMALL LETTER EPSILON WITH TONOS}"
                    + "\\N{GREEK SMALL LETTER ETA WITH TONOS}\\N{GREEK SMALL LETTER IOTA WITH TONOS}"
                    + "\\N{GREEK SMALL LETTER UPSILON WITH DIALYTIKA AND TONOS}"
                    + "\\N{CYRILLIC SMALL LETTER A}-\\N{CYRILLIC SMALL LETTER DZHE}"),
            Map.entry("box", "\\x{2502}\\x{250c}\\x{2510}\\x{2518}\\x{251c}\\x{2524}\\x{252c}\\x{253c}"
                    + "\\N{BOX DRAWINGS DOUBLE HORIZONTAL}-\\N{BOX DRAWINGS DOUBLE VERTICAL AND HORIZONTAL}"
                    + "\\x{2580}\\x{2584}\\x{2588}\\x{258c}\\x{2590}\\x{2591}\\x{2592}\\x{2593}"));

    /** The unlikely juxtapositions, one alternative per line, in ftfy's order; {c} is a category's content. */
    private static final String[] SEQUENCES = {
        "[{c1}]",
        "[{bad}{lower_accented}{upper_accented}{box}{start_punctuation}{end_punctuation}{currency}{numeric}{law}]"
                + "[{bad}]",
        "[a-zA-Z][{lower_common}{upper_common}][{bad}]",
        "[{bad}][{lower_accented}{upper_accented}{box}{start_punctuation}{end_punctuation}{currency}{numeric}{law}]",
        "[{lower_accented}{lower_common}{box}{end_punctuation}{currency}{numeric}][{upper_accented}]",
        "[{box}{end_punctuation}{currency}{numeric}][{lower_accented}]",
        "[{lower_accented}{box}{end_punctuation}][{currency}]",
        "{space}[{upper_accented}][{currency}]",
        "[{upper_accented}{box}][{numeric}{law}]",
        "[{lower_accented}{upper_accented}{box}{currency}{end_punctuation}][{start_punctuation}][{numeric}]",
        "[{lower_accented}{upper_accented}{currency}{numeric}{box}{law}][{end_punctuation}][{start_punctuation}]",
        "[{currency}{numeric}{box}][{start_punctuation}]",
        "[a-z][{upper_accented}][{start_punctuation}{currency}]",
        "[{box}][{kaomoji}]",
        "[{lower_accented}{upper_accented}{currency}{numeric}{start_punctuation}{end_punctuation}{law}][{box}]",
        "[{box}][{end_punctuation}]",
        "[{lower_accented}{upper_accented}][{start_punctuation}{end_punctuation}]{word}",
        // The ligature oe when not followed by an unaccented Latin letter.
        "[\\x{152}\\x{153}][^A-Za-z]",
        // Degree signs after capital letters.
        "[{upper_accented}]\\x{b0}",
        // Common Windows-1252 two-character mojibake not covered above.
        "[\\x{c2}\\x{c3}\\x{ce}\\x{d0}][\\x{20ac}\\x{153}\\x{160}\\x{161}\\x{a2}\\x{a3}\\x{178}\\x{17e}\\x{a0}\\x{ad}"
                + "\\x{ae}\\x{a9}\\x{b0}\\x{b7}\\x{bb}{start_punctuation}{end_punctuation}\\x{2013}\\x{2014}\\x{b4}]",
        "\\x{d7}[\\x{b2}\\x{b3}]",
        // Windows-1252 mojibake of Arabic words: four characters, since the 'common' ones are included.
        "[\\x{d8}\\x{d9}][{common}{currency}{bad}{numeric}{start_punctuation}\\x{178}\\x{160}\\x{ae}\\x{b0}\\x{b5}"
                + "\\x{bb}][\\x{d8}\\x{d9}][{common}{currency}{bad}{numeric}{start_punctuation}\\x{178}\\x{160}"
                + "\\x{ae}\\x{b0}\\x{b5}\\x{bb}]",
        // Windows-1252 mojibake starting three-character sequences of some South Asian alphabets.
        "\\x{e0}[\\x{b2}\\x{b5}\\x{b9}\\x{bc}\\x{bd}\\x{be}]",
        // MacRoman mojibake not covered above.
        "\\x{221a}[\\x{b1}\\x{2202}\\x{2020}\\x{2260}\\x{ae}\\x{2122}\\x{b4}\\x{2264}\\x{2265}\\x{a5}\\x{b5}\\x{f8}]",
        "\\x{2248}[\\x{b0}\\x{a2}]",
        "\\x{201a}\\x{c4}[\\x{ec}\\x{ee}\\x{ef}\\x{f2}\\x{f4}\\x{fa}\\x{f9}\\x{fb}\\x{2020}\\x{b0}\\x{a2}\\x{3c0}]",
        "\\x{201a}[\\x{e2}\\x{f3}][\\x{e0}\\x{e4}\\x{b0}\\x{ea}]",
        // Windows-1251 mojibake of characters in the U+2000 range.
        "\\x{432}\\x{402}",
        // Windows-1251 mojibake of Latin-1 characters and/or Cyrillic: three characters required.
        "[\\x{412}\\x{413}\\x{420}\\x{421}][{c1}{bad}{start_punctuation}{end_punctuation}{currency}\\x{b0}\\x{b5}]"
                + "[\\x{412}\\x{413}\\x{420}\\x{421}]",
        // Windows-1251 over Latin-1 mojibake of Windows-1252 characters, with a Latin letter nearby.
        "\\x{413}\\x{45e}\\x{412}\\x{402}\\x{412}.[A-Za-z ]",
        // Windows-1252 encodings of a-grave and a-acute, and of U+00A0 itself.
        "\\x{c3}[\\x{a0}\\x{a1}]",
        "[a-z]{space}?[\\x{c3}\\x{c2}][ ]",
        "^[\\x{c3}\\x{c2}][ ]",
        // A-circumflex before a character it encodes as itself, when that character is common enough.
        "[a-z.,?!{end_punctuation}]\\x{c2}[ {start_punctuation}{end_punctuation}]",
        // Windows-1253 mojibake of characters in the U+2000 range.
        "\\x{3b2}\\x{20ac}[\\x{2122}\\x{a0}\\x{386}\\x{ad}\\x{ae}\\x{b0}]",
        // Windows-1253 mojibake of Latin-1 characters and/or Greek.
        "[\\x{392}\\x{393}\\x{39e}\\x{39f}][{c1}{bad}{start_punctuation}{end_punctuation}{currency}\\x{b0}]"
                + "[\\x{392}\\x{393}\\x{39e}\\x{39f}]",
        // Windows-1257 mojibake of characters in the U+2000 range.
        "\\x{101}\\x{20ac}",
    };

    /** A brace that opens no x{..}, N{..} or p{..} escape: a category left unreplaced. */
    private static final Pattern UNFILLED = Pattern.compile("(?<![xNp])\\{");
    /** {@code BADNESS_RE}; UNIX_LINES so that '.' excludes only '\n', as in Python. */
    private static final Pattern BADNESS = Pattern.compile(build(), Pattern.UNIX_LINES);

    private FtfyBadness() {
    }

    /** {@code ftfy.badness.is_bad}: whether the text holds any of the mojibake sequences. */
    static boolean isBad(String text) {
        return BADNESS.matcher(text).find();
    }

    /** {@code ftfy.badness.badness}: how many such sequences the text holds. */
    static int badness(String text) {
        Matcher m = BADNESS.matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    private static String build() {
        StringBuilder pattern = new StringBuilder();
        for (String sequence : SEQUENCES) {
            String s = sequence.replace("{space}", PythonText.SPACE_CLASS).replace("{word}", PythonText.WORD_CLASS);
            for (Map.Entry<String, String> category : CATEGORIES.entrySet()) {
                s = s.replace("{" + category.getKey() + "}", category.getValue());
            }
            if (UNFILLED.matcher(s).find()) {
                throw new IllegalStateException("unknown category in " + sequence);
            }
            pattern.append(pattern.length() == 0 ? "" : "|").append(s);
        }
        return pattern.toString();
    }
}

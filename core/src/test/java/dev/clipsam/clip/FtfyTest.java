package dev.clipsam.clip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * ftfy 6.3.1's documented behaviour (the examples in its docstrings) and Python's {@code html.unescape} on the
 * cases its rules single out; the fixture cases {@code clip/tokenizer*} check the same code on thousands of
 * generated strings.
 */
class FtfyTest {

    @Test
    void repairsMojibakeWhereFtfyDoes() {
        assertEquals("só", FtfyEncoding.fixEncoding("sÃ³"));
        assertEquals("voilà le travail", FtfyEncoding.fixEncoding("voilÃ le travail"));
        assertEquals("schön", Ftfy.fixText("schÃ¶n"));
        assertEquals("café", Ftfy.fixText("cafÃ©"));
        assertEquals("✔ No problems", Ftfy.fixText("âœ” No problems"));
        assertEquals("¯\\_(ツ)_/¯", Ftfy.fixText("&macr;\\_(ã\u0083\u0084)_/&macr;"));
        assertEquals("“ like this �", FtfyEncoding.fixEncoding("â€œ like this â€\ufffd"));
    }

    @Test
    void leavesTextAloneWhereFtfyDoes() {
        assertEquals("&ATILDE;&SUP3;", FtfyEncoding.fixEncoding("&ATILDE;&SUP3;"));
        // Upper-case entity next to a letter that ftfy's heuristic does not find suspicious.
        assertEquals("Å\u00a0", Ftfy.fixText("Å&NBSP;"));
        assertEquals("This text is fine already :þ", Ftfy.fixText("This text is fine already :þ"));
        assertFalse(FtfyBadness.isBad("naïve café résumé"));
        assertTrue(FtfyBadness.isBad("cafÃ©"));
    }

    @Test
    void unescapesLikeFtfy() {
        assertEquals("<tag>", Ftfy.unescapeHtml("&lt;tag&gt;"));
        assertEquals("𝒥ohn ℋancock", Ftfy.unescapeHtml("&Jscr;ohn &HilbertSpace;ancock"));
        assertEquals("✓", Ftfy.unescapeHtml("&checkmark;"));
        assertEquals("PÉREZ", Ftfy.unescapeHtml("P&EACUTE;REZ"));
        assertEquals("BUNDESSTRASSE", Ftfy.unescapeHtml("BUNDESSTRA&SZLIG;E"));
        assertEquals("ñ Ñ Ñ &nTILDE;", Ftfy.unescapeHtml("&ntilde; &Ntilde; &NTILDE; &nTILDE;"));
        assertEquals("this&not that", Ftfy.unescapeHtml("this&not that"), "no semicolon, no decoding");
        assertEquals("<em>HTML entities &lt;3</em>", Ftfy.fixText("<em>HTML entities &lt;3</em>"));
        assertEquals("HTML entities <3", Ftfy.fixText("HTML entities &lt;3"));
    }

    @Test
    void simpleFixes() {
        assertEquals("LOUD NOISES", Ftfy.fixText("ＬＯＵＤ　ＮＯＩＳＥＳ"));
        assertEquals("Uターン", Ftfy.fixText("Ｕﾀｰﾝ"));
        assertEquals("fluffiest dz", Ftfy.fixText("ﬂuﬃeﬆ ǳ"));
        assertEquals("\"here's a test\"", Ftfy.fixText("\u201chere\u2019s a test\u201d"));
        assertEquals("I'm blue, da ba dee da ba doo...", Ftfy.fixText("\u001b[36;44mI'm blue, da ba dee da ba doo..."
                + "\u001b[0m"));
        assertEquals("Party like\nit's 1999!", Ftfy.fixText("\ufeffParty like\r\nit&rsquo;s 1999!"));
        assertEquals("a\ufffdb", Ftfy.fixText("a\ud800b"), "a lone surrogate");
        assertEquals("&", Ftfy.fixText("&amp;amp;amp;"), "repeated until stable");
    }

    @Test
    void pythonHtmlUnescape() {
        assertEquals("& b", PythonHtml.unescape("&amp b"));
        assertEquals("<3", PythonHtml.unescape("&lt3"));
        assertEquals("¬it;", PythonHtml.unescape("&notit;"));
        assertEquals("AA", PythonHtml.unescape("&#65&#x41;"));
        assertEquals("\ufffd\ufffd\ufffd", PythonHtml.unescape("&#0;&#x110026;&#xd800;"));
        assertEquals("€\u0081", PythonHtml.unescape("&#x80;&#x81;"));
        assertEquals("", PythonHtml.unescape("&#1;&#x7f;&#xfffe;&#x10ffff;"));
        assertEquals("\r", PythonHtml.unescape("&#13;"));
        assertEquals("&unknown;", PythonHtml.unescape("&unknown;"));
        assertEquals(2231, PythonHtml.html5().size());
    }

    @Test
    void pythonWhitespace() {
        assertEquals("a b", PythonText.strip("\u001c\u00a0\u2007a b\u202f\u0085"));
        assertEquals(" a b ", PythonText.collapseSpaces("\u3000a\u001f\u00a0b\t"));
    }

    /**
     * Property test over 20,000 seeded random strings built from the pieces that stress the cleaner (entity
     * fragments, numeric references out of range, controls, C1, whitespace of every kind, mojibake pairs, ligatures,
     * full-width forms, surrogates, astral characters): cleaning never throws, its output is stripped, holds no
     * whitespace run, control character or lone surrogate, and ftfy's fix is stable when applied again (on text
     * whose line breaks it leaves as they are).
     */
    @Test
    void cleaningNeverThrowsAndIsStable() {
        String[] pieces = {"&", "#", "x", ";", "amp", "lt", "&amp;", "&lt", "&EACUTE;", "&NBSP;", "&#x110026;",
            "&#0;", "&#x9d;", "&#65", "&notit;", "&amp;amp;", "<", ">", " ", "\t", "\n", "\r\n", "\u00a0",
            "\u3000", "\u2028", "\u0085", "\u001c", "\u0000", "\u007f", "\u0096", "\u001b[31m", "\ufeff",
            "\ufb01", "\u01f3", "\uff21", "\uff71", "\u2019", "\u201c", "e\u0301", "\u00c3\u00a9",
            "\u00e2\u20ac\u201d", "\u00c3", "\u00c2", "caf", "bottle", "\ud83d\ude00", "\ud800", "\udc00",
            "\u0130", "\u03a3", "\u00df", "0", "9"};
        Random random = new Random(20261201);
        int checked = 0;
        for (int n = 0; n < 20_000; n++) {
            StringBuilder text = new StringBuilder();
            int count = 1 + random.nextInt(12);
            for (int k = 0; k < count; k++) {
                text.append(unescape(pieces[random.nextInt(pieces.length)]));
            }
            String input = text.toString();
            String cleaned = TextCleaner.clean(input);
            assertEquals(PythonText.strip(cleaned), cleaned, "stripped: " + input);
            for (int i = 0; i < cleaned.length(); ) {
                int cp = cleaned.codePointAt(i);
                boolean space = PythonText.isSpace(cp);
                assertTrue(!space || (cp == ' ' && (i + 1 >= cleaned.length() || cleaned.charAt(i + 1) != ' ')),
                        "only single spaces: " + input);
                assertTrue(cp >= 0x20 && cp != 0x7f && !(cp >= 0xd800 && cp <= 0xdfff) || space,
                        "no control or lone surrogate: " + input);
                i += Character.charCount(cp);
            }
            // ftfy fixes line by line, so text whose line breaks it normalises (CR, U+2028, U+0085) is split
            // differently the second time; elsewhere a second fix_text changes nothing.
            if (input.chars().noneMatch(c -> c == '\r' || c == 0x2028 || c == 0x2029 || c == 0x85)) {
                String fixed = Ftfy.fixText(input);
                assertEquals(fixed, Ftfy.fixText(fixed), "fix_text is stable: " + input);
            }
            checked++;
        }
        assertEquals(20_000, checked);
    }

    private static String unescape(String piece) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < piece.length(); i++) {
            if (piece.startsWith("\\u", i)) {
                out.append((char) Integer.parseInt(piece.substring(i + 2, i + 6), 16));
                i += 5;
            } else if (piece.startsWith("\\t", i) || piece.startsWith("\\n", i) || piece.startsWith("\\r", i)) {
                out.append(switch (piece.charAt(i + 1)) {
                    case 't' -> '\t';
                    case 'n' -> '\n';
                    default -> '\r';
                });
                i += 1;
            } else {
                out.append(piece.charAt(i));
            }
        }
        return out.toString();
    }
}

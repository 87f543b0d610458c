package dev.clipsam.clip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}

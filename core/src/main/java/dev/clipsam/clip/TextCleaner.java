package dev.clipsam.clip;

import java.util.Locale;

/**
 * The text clean-up OpenAI's CLIP tokenizer applies before BPE ({@code simple_tokenizer.py}): {@code basic_clean}
 * is {@linkplain Ftfy#fixText ftfy.fix_text}, then {@linkplain PythonHtml#unescape html.unescape} twice, then
 * {@code strip()}; {@code whitespace_clean} turns runs of whitespace into one space and strips; then
 * {@code lower()}. Whitespace is Python's ({@link PythonText}).
 */
final class TextCleaner {

    private TextCleaner() {
    }

    /** The text the BPE splitter sees. */
    static String clean(String text) {
        String t = Ftfy.fixText(text);
        t = PythonText.strip(PythonHtml.unescape(PythonHtml.unescape(t)));
        t = PythonText.strip(PythonText.collapseSpaces(t));
        return t.toLowerCase(Locale.ROOT);
    }
}

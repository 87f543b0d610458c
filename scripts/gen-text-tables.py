#!/usr/bin/env python3
"""Writes the two data tables that clipsam's text cleaning reads, from Python's standard library only.

    python3 scripts/gen-text-tables.py core/src/main/resources/dev/clipsam/clip

html5_entities.tsv  every entry of html.entities.html5 (the table html.unescape uses), name and code points.
charmaps.tsv        for each single-byte encoding that ftfy's encoding repair tries, what each of the 256 bytes
                    decodes to; "sloppy-*" encodings map bytes the real codec leaves undefined to the Latin-1
                    character of the same number and byte 0x1A to U+FFFD (ftfy's sloppy codecs); the strict
                    windows-1252 line marks undefined bytes with -.

Run it again when moving to another Python version's tables; the Java code never runs Python.
"""
import html.entities
import os
import sys

ENCODINGS = ["latin-1", "sloppy-windows-1252", "sloppy-windows-1251", "sloppy-windows-1250",
             "sloppy-windows-1253", "sloppy-windows-1254", "sloppy-windows-1257", "iso-8859-2", "macroman",
             "cp437", "windows-1252"]


def table(encoding):
    sloppy = encoding.startswith("sloppy-")
    codec = encoding[len("sloppy-"):] if sloppy else encoding
    out = []
    for b in range(256):
        try:
            ch = bytes([b]).decode(codec)
        except UnicodeDecodeError:
            ch = chr(b) if sloppy else None
        if sloppy and b == 0x1A:
            ch = "\ufffd"
        out.append("-" if ch is None else "%x" % ord(ch))
    return out


def main(out_dir):
    version = "%d.%d.%d" % sys.version_info[:3]
    with open(os.path.join(out_dir, "html5_entities.tsv"), "w", encoding="ascii", newline="\n") as f:
        f.write("# html.entities.html5 of Python %s, written by scripts/gen-text-tables.py.\n" % version)
        f.write("# name<TAB>code points (hex); names that end in ';' and legacy names without it both appear.\n")
        for name in sorted(html.entities.html5):
            f.write("%s\t%s\n" % (name, " ".join("%x" % ord(c) for c in html.entities.html5[name])))
    with open(os.path.join(out_dir, "charmaps.tsv"), "w", encoding="ascii", newline="\n") as f:
        f.write("# Byte -> code point (hex) for bytes 0..255 of each encoding, from the codecs of Python %s,\n"
                % version)
        f.write("# written by scripts/gen-text-tables.py. '-' marks a byte the strict codec leaves undefined.\n")
        for encoding in ENCODINGS:
            f.write("%s\t%s\n" % (encoding, " ".join(table(encoding))))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "core/src/main/resources/dev/clipsam/clip")

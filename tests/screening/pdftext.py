"""Read the text back out of the PDFs ReportLab writes with the CID font STSong-Light
(encoding UniGB-UCS2-H: two bytes a character, big-endian), so tests can check what a
printed page says without a PDF library."""

from __future__ import annotations

import base64
import re
import zlib

_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _literal(body: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(body):
        char = body[i : i + 1]
        if char == b"\\":
            nxt = body[i + 1 : i + 2]
            if nxt in _ESCAPES:
                out += _ESCAPES[nxt]
                i += 2
            elif nxt.isdigit():
                digits = re.match(rb"[0-7]{1,3}", body[i + 1 : i + 4]).group()
                out.append(int(digits, 8))
                i += 1 + len(digits)
            else:
                out += nxt
                i += 2
        else:
            out += char
            i += 1
    return bytes(out)


def _strings(content: bytes):
    i = 0
    while i < len(content):
        if content[i : i + 1] == b"(":
            depth, j = 1, i + 1
            while j < len(content) and depth:
                if content[j : j + 1] == b"\\":
                    j += 2
                    continue
                if content[j : j + 1] == b"(":
                    depth += 1
                elif content[j : j + 1] == b")":
                    depth -= 1
                j += 1
            yield _literal(content[i + 1 : j - 1])
            i = j
        else:
            i += 1


def page_texts(pdf: bytes) -> list[str]:
    """The text of each content stream (one a page), CID strings decoded as UCS-2."""
    texts = []
    for match in _STREAM.finditer(pdf):
        raw = match.group(1).strip()
        raw = raw[:-2] if raw.endswith(b"~>") else raw
        try:
            data = zlib.decompress(base64.a85decode(raw))
        except Exception:  # not a content stream of ours (fonts are not embedded)
            continue
        if b"Tj" not in data and b"TJ" not in data:
            continue
        parts = []
        for chunk in _strings(data):
            try:
                parts.append(chunk.decode("utf-16-be") if len(chunk) % 2 == 0 else "")
            except UnicodeDecodeError:
                parts.append("")
        texts.append("".join(parts))
    return texts

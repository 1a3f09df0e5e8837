"""User text is data: no terminal control characters get through.

Bank text, profile names and anything else a person typed or imported can carry escape sequences
(OSC 8 links, OSC 52 clipboard writes, CSI screen clears, a title change). ``visible`` turns every
C0 and C1 control character except newline and tab into a visible stand-in, so the text still
shows that something was there but a terminal never acts on it:

- C0 controls and DEL become their Unicode control pictures (ESC shows as ``␛``, BEL as ``␇``);
- a C1 control becomes ``␛`` and its 7-bit twin (CSI U+009B shows as ``␛[``, OSC U+009D as ``␛]``);
- CR LF and a lone CR become a newline (Windows and old Mac line ends are not controls to hide);
- the noncharacters U+FFFE and U+FFFF become U+FFFD, the replacement character: no terminal acts
  on them, but XML cannot carry them (a Moodle export would drop them, and a choice that was
  nothing else would come back empty).

The result never contains a control character, so ``visible`` is idempotent. Used where text
enters (the bank models' validators, profile names) and again where it is printed.
"""

from __future__ import annotations

import re

# every C0 control but TAB (09) and LF (0A), DEL, every C1 control; the two noncharacters
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")
_NEWLINES = re.compile("\r\n?")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    if code > 0xFFFD:
        return "\ufffd"  # a noncharacter: the replacement character
    return "\u241b" + chr(code - 0x40)  # C1: ESC + its 7-bit form


def visible(text: str) -> str:
    """``text`` with every control but newline and tab made visible (see the module doc)."""
    if _CONTROLS.search(text) is None:
        return text
    if "\r" in text:
        text = _NEWLINES.sub("\n", text)
    return _CONTROLS.sub(_picture, text)


def visible_or_none(text: str | None) -> str | None:
    return None if text is None else visible(text)


def has_controls(text: str) -> bool:
    """Whether ``text`` holds a control character other than newline and tab (or a noncharacter)."""
    return _CONTROLS.search(text) is not None


def terminal_safe(text: str) -> str:
    """Rendered output for a terminal or file: like ``visible`` but CR LF line ends (CSV) stay."""
    if _CONTROLS.search(text) is None:
        return text
    parts = text.split("\r\n")
    return "\r\n".join(visible(p) for p in parts)

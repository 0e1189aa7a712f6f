"""Reading WordprocessingML attributes: the few lookups every DOCX module makes.

Word keeps most settings as `<w:x w:val="…"/>` children; these helpers read
them by a short path ("w:pPr/w:pStyle") and tolerate what is missing or
malformed, because a DOCX from another tool often leaves values out.
"""

from __future__ import annotations

from typing import Any

from docx.oxml.ns import qn

W_VAL = qn("w:val")


def find(element: Any, path: str) -> Any | None:
    """The element at `path` ("w:pPr/w:numPr") under `element`, if both exist."""
    if element is None:
        return None
    return element.find("/".join(qn(part) for part in path.split("/")))


def val(element: Any, path: str) -> str | None:
    """The w:val of the element at `path` under `element`."""
    child = find(element, path)
    return None if child is None else child.get(W_VAL)


def on(element: Any, path: str) -> bool:
    """A Word toggle (w:vanish, w:b): present and not switched off."""
    child = find(element, path)
    return child is not None and child.get(W_VAL) not in ("0", "false", "off")


def to_int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default

"""XML elements as Salesforce's SOAP APIs read and write them, below the envelope.

Contract:

- Reading: ``children`` / ``child`` / ``child_text`` find elements by local name in any namespace;
  ``child_text`` is None for an absent or ``xsi:nil`` element and "" for an empty one; ``xsi_type`` gives
  the local part of ``xsi:type``.
- Writing: responses are built as text with ``text_el`` / ``nil_el`` / ``text_or_nil_el``: every scalar
  is text, booleans are "true"/"false", text is escaped; ``text_el`` of None writes nothing at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"


def local_name(element: ET.Element) -> str:
    """The tag of ``element`` without its ``{namespace}``."""
    return element.tag.rsplit("}", 1)[-1]


def namespace_of(element: ET.Element) -> str:
    """The namespace URI of ``element`` ("" when unqualified)."""
    return element.tag[1:].split("}", 1)[0] if element.tag.startswith("{") else ""


def children(element: ET.Element, name: str) -> Iterator[ET.Element]:
    """Direct children called ``name`` in any namespace, in document order."""
    return (child for child in element if local_name(child) == name)


def child(element: ET.Element, name: str) -> ET.Element | None:
    """The first direct child called ``name`` in any namespace, or None."""
    return next(children(element, name), None)


def child_text(element: ET.Element, name: str) -> str | None:
    """The text of the first child called ``name``; None when absent or xsi:nil, "" when empty."""
    found = child(element, name)
    if found is None or is_nil(found):
        return None
    return found.text or ""


def is_nil(element: ET.Element) -> bool:
    return element.get(f"{{{XSI_NS}}}nil", "").strip().lower() in {"true", "1"}


def xsi_type(element: ET.Element) -> str | None:
    """The local part of the element's xsi:type ("ns0:Profile" -> "Profile"), or None."""
    value = element.get(f"{{{XSI_NS}}}type")
    return value.rsplit(":", 1)[-1].strip() if value else None


def xml_text(value: object) -> str:
    """A scalar as SOAP text: booleans as "true"/"false", everything else through str(), escaped."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def xml_attr(value: str) -> str:
    """An attribute value, quoted and escaped."""
    return quoteattr(value)


def text_el(name: str, value: object) -> str:
    """``<name>value</name>``; nothing at all when ``value`` is None."""
    if value is None:
        return ""
    return f"<{name}>{xml_text(value)}</{name}>"


def nil_el(name: str) -> str:
    return f'<{name} xsi:nil="true"/>'


def text_or_nil_el(name: str, value: object) -> str:
    """``<name>value</name>``, or ``<name xsi:nil="true"/>`` when ``value`` is None."""
    return nil_el(name) if value is None else text_el(name, value)

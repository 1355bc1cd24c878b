"""A faster reader for the Metadata API answers of the read path, producing exactly what zeep would.

``readMetadata`` of ten profiles or a hundred picklist fields answers tens of thousands of elements, and
zeep's generic parser (every element matched through its indicator classes, every value object built
through keyword-signature processing) spent about 40% of a plan's CPU on them. ``install(wsdl)`` gives
the response types of ``readMetadata`` and ``listMetadata`` in the process's parsed Metadata WSDL a
``parse_xmlelement`` of their own: the same rules as zeep's, run once per element with the decisions
that depend only on the type (which children it has, which repeat, their defaults) computed once per
type. Envelope, SOAP faults, headers and the unwrapping of the result stay zeep's; writes are untouched.

The rules followed (zeep 4 with simple-salesforce's settings ``strict=False`` and
``xsd_ignore_sequence_order=True``):

- a complex element with neither children nor attributes is None; ``xsi:type`` names the type to read
  (``<records xsi:type="Profile">``); an element with attributes only (``xsi:nil``) is a value object of
  its type with every field at its default;
- each child field takes the first child of its local name (a repeating field: every one, up to
  ``maxOccurs``, in document order), whatever its position; fields are visited in sequence order and the
  visit stops once every child is taken; a required field with no such child, while children remain,
  is None; children no field takes are kept in the value's ``_raw_elements``;
- a simple value is its type's ``pythonvalue`` of the text (None when there is no text or it does not
  convert).

A type this reader does not handle the same way (a choice, a group, ``xsd:any``, a repeating sequence,
attributes, fixed defaults, SOAP-encoded arrays) is read by zeep itself, from that element down.
``tests/test_metadata_reader.py`` holds both readers to the same output on every read the provider makes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any

from lxml import etree
from zeep.utils import qname_attr
from zeep.wsdl import Document
from zeep.xsd import ComplexType, Element, Sequence
from zeep.xsd.types.simple import AnySimpleType

BINDING = "{http://soap.sforce.com/2006/04/metadata}MetadataBinding"
#: The operations whose answers are read this way.
OPERATIONS = ("readMetadata", "listMetadata")
_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
_UNBOUNDED = "unbounded"


@dataclass(frozen=True, slots=True)
class _Field:
    """One child element of a type: its value key, element, and how it repeats."""

    key: str
    name: str  # the element's local name
    element: Element
    multiple: bool
    limit: int | None  # maxOccurs of a repeating field; None when unbounded
    optional: bool


@dataclass(frozen=True, slots=True)
class _Layout:
    """What reading one complex type needs, decided once per type."""

    by_name: dict[str, tuple[int, _Field]]  # local name -> (position in the sequence, field)
    required: tuple[tuple[int, str, str], ...]  # (position, key, local name) of the fields not optional
    template: OrderedDict[str, Any]  # every key at None
    list_keys: tuple[str, ...]  # the keys whose default is a fresh empty list


class Reader:
    """Reads elements of the types of one parsed WSDL (``schema``), zeep's way (module docstring)."""

    def __init__(self, schema: Any) -> None:
        self.schema = schema
        self._layouts: dict[int, _Layout | None] = {}
        self._lock = threading.Lock()

    def complex_value(self, xsd_type: ComplexType, node: etree._Element, allow_none: bool = True) -> Any:
        """zeep's ``ComplexType.parse_xmlelement``, worked out per child rather than per field: zeep visits
        the fields in sequence order and stops once every child is taken, so a required field without a
        child is None exactly when a later field took one, or some child is left over."""
        layout = self._layout(xsd_type)
        if layout is None:
            return xsd_type.parse_xmlelement(node, self.schema, allow_none=allow_none)
        children = list(node.iterchildren(etree.Element))
        if allow_none and not children and not node.attrib:
            return None
        values = layout.template.copy()
        for key in layout.list_keys:
            values[key] = []
        groups: dict[str, list[etree._Element]] = {}
        for child in children:
            groups.setdefault(child.tag.rpartition("}")[2], []).append(child)
        last, complete, used, taken = -1, True, 0, []
        for name, found in groups.items():
            hit = layout.by_name.get(name)
            if hit is None:
                complete = False
                continue
            position, field = hit
            if field.limit is not None and len(found) > field.limit:
                found = found[: field.limit]
                complete = False
            taken.append(found)
            used += len(found)
            last = max(last, position)
            if field.multiple:
                values[field.key] = [self.element_value(field.element, item) for item in found]
            else:
                values[field.key] = self.element_value(field.element, found[0])
        for position, key, name in layout.required:
            if (position < last or not complete) and name not in groups:
                values[key] = None
        if used < len(children):
            kept = {id(item) for found in taken for item in found}
            values["_raw_elements"] = deque(child for child in children if id(child) not in kept)
        value_class = xsd_type._value_class
        value = value_class.__new__(value_class)
        value.__values__ = values
        return value

    def element_value(self, element: Element, node: etree._Element) -> Any:
        """One child element's value (``Element.parse`` with ``allow_none``)."""
        xsd_type = element.type
        if node.get(_XSI_TYPE) is not None:
            named = qname_attr(node, _XSI_TYPE)
            xsd_type = (self.schema.get_type(named, fail_silently=True) if named else None) or xsd_type
        if isinstance(xsd_type, AnySimpleType) and type(xsd_type).parse_xmlelement is AnySimpleType.parse_xmlelement:
            text = node.text
            if text is None:
                return None
            try:
                return xsd_type.pythonvalue(text)
            except (TypeError, ValueError):
                return None
        if isinstance(xsd_type, ComplexType):
            return self.complex_value(xsd_type, node)
        return xsd_type.parse_xmlelement(node, self.schema, allow_none=True, schema_type=element.type)

    def _layout(self, xsd_type: ComplexType) -> _Layout | None:
        key = id(xsd_type)
        if key not in self._layouts:
            with self._lock:
                self._layouts[key] = _layout_of(xsd_type)
        return self._layouts[key]


def _layout_of(xsd_type: ComplexType) -> _Layout | None:
    """The layout of a plain sequence type, or None for a type zeep must read itself."""
    if (
        not isinstance(xsd_type, ComplexType)
        or type(xsd_type).parse_xmlelement is not ComplexType.parse_xmlelement  # zeep's types are subclasses
        or xsd_type.attributes
        or getattr(xsd_type, "_array_type", None)
    ):
        return None
    nested = xsd_type.elements_nested
    if not nested:
        return None
    if len(nested) != 1 or type(nested[0][1]) is not Sequence:
        return None
    fields = _sequence_fields(nested[0][1])
    if (
        fields is None
        or len({field.key for field in fields}) != len(fields)
        or len({f.name for f in fields}) != len(fields)
    ):
        return None
    return _Layout(
        by_name={field.name: (position, field) for position, field in enumerate(fields)},
        required=tuple((n, f.key, f.name) for n, f in enumerate(fields) if not f.optional),
        template=OrderedDict((field.key, None) for field in fields),
        list_keys=tuple(field.key for field in fields if field.multiple),
    )


def _sequence_fields(sequence: Sequence) -> list[_Field] | None:
    """The fields of a sequence, nested plain sequences flattened; None when it is not plain."""
    if sequence.max_occurs != 1 or sequence.min_occurs not in (0, 1):
        return None
    fields: list[_Field] = []
    for item in sequence:
        if type(item) is Sequence:
            inner = _sequence_fields(item)
            if inner is None:
                return None
            fields += inner
            continue
        if type(item) is not Element or item.default is not None or item.qname is None:
            return None
        multiple = bool(item.accepts_multiple)
        limit = None if item.max_occurs == _UNBOUNDED else int(item.max_occurs)
        limit = limit if multiple else 1
        fields.append(_Field(item.attr_name, item.qname.localname, item, multiple, limit, bool(item.is_optional)))
    return fields


def install(wsdl: Document) -> Reader:
    """Read the answers of ``OPERATIONS`` in ``wsdl`` with a ``Reader`` (the response elements' types get
    an instance ``parse_xmlelement``; nothing else in the document changes). Returns the reader."""
    reader = Reader(wsdl.types)
    binding = wsdl.bindings[BINDING]
    for operation in OPERATIONS:
        xsd_type = binding.get(operation).output.body.type  # type: ignore[no-untyped-call]
        if not isinstance(xsd_type, ComplexType) or reader._layout(xsd_type) is None:
            continue

        def parse(
            node: etree._Element,
            schema: Any = None,
            allow_none: bool = True,
            context: Any = None,
            schema_type: Any = None,
            _type: ComplexType = xsd_type,
        ) -> Any:
            return reader.complex_value(_type, node, allow_none)

        xsd_type.parse_xmlelement = parse  # type: ignore[method-assign,assignment]
    return reader

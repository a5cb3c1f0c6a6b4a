"""The tool's one JSON writer: ``--json``, reports, exports and dumps all go through it.

UTF-8, two-space indent, a final newline; accents stay as they are. Characters a
terminal or editor could act on (C0/C1 controls, bidi marks and overrides,
line/paragraph separators) are written as ``\\uXXXX`` escapes, so the output is
inert yet reads back to exactly the same text.

Apart from ``exporters`` so that ``--json`` does not load the export formats' registry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

import orjson

# orjson escapes U+0000..U+001F itself; these it leaves raw. They can only occur
# inside strings (JSON's own syntax is ASCII), so escaping them keeps the JSON valid.
# They are found in orjson's UTF-8 output, as the bytes that encode them:
# U+007F-U+009F, U+200E-U+200F, U+2028-U+202E, U+2066-U+2069.
_RAW = re.compile(rb"\x7f|\xc2[\x80-\x9f]|\xe2\x80[\x8e\x8f\xa8-\xae]|\xe2\x81[\xa6-\xa9]")
# The bytes every one of them starts with: most outputs hold none. ``in`` finds one byte
# with a memchr, two about thirty times slower: those are looked for only after b"\xe2".
_LEADS = (b"\x7f", b"\xc2")
_E2_LEADS = (b"\xe2\x80", b"\xe2\x81")


def _escape(match: re.Match[bytes]) -> bytes:
    return b"\\u%04x" % ord(match.group().decode("utf-8"))


def dump_json(value: Any) -> bytes:
    """``value`` as indented UTF-8 JSON with a final newline, every unsafe character escaped.

    Dates and datetimes are written in ISO form, dataclasses as objects.
    """
    # The newline written by orjson, not added after: that would copy the whole output.
    options = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE
    return escaped(orjson.dumps(value, option=options))


def escaped(raw: bytes) -> bytes:
    """orjson's JSON ``raw`` with every unsafe character escaped (see ``dump_json``)."""
    if any(lead in raw for lead in _LEADS) or (
        b"\xe2" in raw and any(lead in raw for lead in _E2_LEADS)
    ):
        raw = _RAW.sub(_escape, raw)
    return raw


JSON_LIST_CHUNK = 500  # values dumped at a time by ``dump_json_list``


# How ``dump_json`` opens and closes a list that is not empty.
_OPENING, _CLOSING = b"[\n", b"\n]\n"


def in_json_list(values: list[Any]) -> bytes:
    """``values`` as ``dump_json`` writes them inside a list: indented one level, with
    the commas between them but not around them. ``join_json_list`` of such pieces is
    ``dump_json`` of the whole list."""
    return dump_json(values)[len(_OPENING) : -len(_CLOSING)]


class UnwritableError(Exception):
    """A value orjson cannot write (nested deeper than it writes, by hand, say). Not a
    ``TypeError``, as orjson's error is: that is what reading a stored record whose
    field is of the wrong kind raises, and the two are told apart."""


# The comma and line break before each object of a list after the first (see below).
_OBJECT_STARTS = re.compile(rb",\n(?=  \{)")


def objects_in_json_list(values: Sequence[dict[str, Any]]) -> list[bytes]:
    """``in_json_list([value])`` of each of ``values``, all dumped in one call: dumping 1,000
    objects one at a time takes three times as long.

    The whole list's JSON is cut where each object starts: at a line of two spaces and
    a ``{``. Nothing else can look so: deeper values are indented further, and a
    string holds no raw line break (JSON escapes it).
    """
    if not values:
        return []
    if set(map(type, values)) != {dict}:
        raise ValueError("objects_in_json_list takes objects only")
    try:
        dumped = dump_json(list(values))
    except orjson.JSONEncodeError as exc:
        raise UnwritableError(str(exc)) from None
    pieces = _OBJECT_STARTS.split(dumped)
    if len(pieces) != len(values):
        raise ValueError("objects_in_json_list found an object it cannot cut apart")
    pieces[0] = pieces[0][len(_OPENING) :]
    pieces[-1] = pieces[-1][: -len(_CLOSING)]
    return pieces


def join_json_list(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """The bytes of a JSON list whose values, or runs of values, are ``pieces`` as
    ``in_json_list`` makes them; the pieces are not copied."""
    first = True
    for piece in pieces:
        yield _OPENING if first else b",\n"
        yield piece
        first = False
    yield b"[]\n" if first else _CLOSING


def dump_json_list(values: Iterable[Any], chunk_size: int = JSON_LIST_CHUNK) -> Iterator[bytes]:
    """The bytes of ``dump_json(list(values))``, in pieces: ``chunk_size`` values at a
    time are taken, dumped and let go before the next (the JSON of 100,000 actions is
    82 MB; dicts of them all would take more)."""
    iterator = iter(values)
    chunks = iter(lambda: list(islice(iterator, chunk_size)), [])
    return join_json_list(map(in_json_list, chunks))

"""Bytes in, lines and JSON values out: the bounded, fault-tolerant reading under :mod:`.loaders`.

Everything here works on bytes and reports problems as values, never as exceptions a
reader has to guess at:

- :func:`line_blocks` streams a file (decompressing gzip, recognised by its content) as blocks of lines (at most
  ``block_bytes`` at a time), numbering lines as a text editor does (``\\n``, ``\\r\\n`` and ``\\r`` end a line).
  A line longer than :data:`MAX_LINE_BYTES`, and a gzip stream that is cut short or corrupt, come
  out as :class:`StreamFault` items in their place, so the lines before them are kept.
- :func:`read_document` reads a whole file, up to :data:`MAX_DOCUMENT_BYTES`.
- :func:`decode_json` decodes one JSON value with orjson, refusing values nested deeper than
  :data:`MAX_DEPTH` levels, and falls back to Python's reader for the literals it also
  accepts (``NaN``, ``Infinity``).
"""

from __future__ import annotations

import functools
import gzip
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

#: The longest line read as one record (16 MiB).  An EventBridge event is at most 256 KB; a
#: longer line is rejected as too long, and reading goes on at the next line.
MAX_LINE_BYTES = 16 * 2**20
#: The largest JSON document (a file that is not JSON Lines) read whole (256 MiB).
MAX_DOCUMENT_BYTES = 256 * 2**20
#: The deepest nesting of arrays and objects read in a record (an EventBridge event is about 8).
MAX_DEPTH = 128
#: Bytes read at a time while streaming lines.
BLOCK_BYTES = 8 * 2**20

GZIP_MAGIC = b"\x1f\x8b"
BOM = b"\xef\xbb\xbf"
_SHOWN = 200  # characters of an unreadable line kept in ``raw``


@dataclass
class LineBlock:
    """Consecutive lines of a file with their line ends; ``first`` is the number of the first line."""

    first: int
    data: bytes | memoryview

    @functools.cached_property
    def lines(self) -> list[bytes]:
        """The lines without their line ends."""
        return bytes(self.data).splitlines()

    @functools.cached_property
    def count(self) -> int:
        """How many lines (as ``len(self.lines)``, without splitting them); a reader that has
        counted them while reading may set it."""
        text = self.data if isinstance(self.data, bytes) else self.data.tobytes()
        if b"\r" not in text:  # lines end in \n only: the \n bytes counted by one vectorised compare
            newlines = int(np.count_nonzero(np.frombuffer(text, dtype=np.uint8) == 10))
            return newlines + (1 if text and not text.endswith(b"\n") else 0)
        from .linescan import count_lines

        return count_lines(np.frombuffer(text, dtype=np.uint8))


@dataclass(frozen=True)
class StreamFault:
    """A line that could not be read as a line: ``line`` is its number, ``raw`` the start of it."""

    line: int
    field: str
    problem: str
    raw: str


class JSONTextError(ValueError):
    """Text that is not one JSON value incidentsim reads; ``problem`` says why, ``line`` where (if known)."""

    def __init__(self, problem: str, line: int | None = None):
        super().__init__(problem)
        self.problem = problem
        self.line = line


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as probe:
        return probe.read(2) == GZIP_MAGIC


def shown(data: bytes, limit: int = _SHOWN) -> str:
    """The start of some bytes as text a person can read (undecodable bytes as \\x escapes)."""
    text = data[:limit].decode("utf-8", errors="backslashreplace")
    return text + ("..." if len(data) > limit else "")


def not_utf8(error: UnicodeDecodeError, line_start: int = 0) -> str:
    """The problem sentence for text that is not UTF-8 (``line_start``: where the error's line begins)."""
    bad = error.object[error.start : error.start + 1]
    return f"is not UTF-8 text (byte 0x{bytes(bad).hex()} at column {error.start - line_start + 1})"


def _stream_problem(error: BaseException, compressed: bool) -> str:
    if isinstance(error, EOFError) and compressed:
        return "the gzip stream ends early (the file is truncated); nothing from here on could be read"
    if compressed:
        return f"the gzip stream is corrupt ({error}); nothing from here on could be read"
    return f"the file could not be read ({error}); nothing from here on could be read"


class _Chunks:
    """The file's bytes, ``size`` at a time, a leading byte order mark dropped; a read that fails
    (truncated or corrupt gzip) ends the stream and leaves the error in ``fault``."""

    def __init__(self, path: Path, size: int):
        self.compressed = is_gzip(path)
        self.handle: Any = gzip.open(path, "rb") if self.compressed else open(path, "rb")
        self.size = size
        self.fault: str | None = None
        self.started = False
        self.total = 0

    def read(self) -> bytes:
        data = self._read()
        if not self.started:
            self.started = True
            while data and len(data) < len(BOM) and BOM.startswith(data):
                more = self._read()
                if not more:
                    break
                data += more
            if data.startswith(BOM):
                data = data[len(BOM) :]
        self.total += len(data)
        return data

    def _read(self) -> bytes:
        if self.fault is not None:
            return b""
        try:
            # read1 returns what the decompressor has, so a cut stream loses only what is past the cut
            data: bytes = self.handle.read1(self.size) if self.compressed else self.handle.read(self.size)
        except (EOFError, zlib.error, OSError) as error:
            self.fault = _stream_problem(error, self.compressed)
            return b""
        return data

    def close(self) -> None:
        self.handle.close()


def line_blocks(
    path: Path, block_bytes: int | None = None, max_line: int | None = None
) -> Iterator[LineBlock | StreamFault]:
    """The file's lines in blocks, with a :class:`StreamFault` wherever a line could not be read.

    Memory is bounded by ``block_bytes`` (:data:`BLOCK_BYTES`) plus one line of at most
    ``max_line`` (:data:`MAX_LINE_BYTES`) bytes.
    """
    chunks = _Chunks(path, block_bytes or BLOCK_BYTES)
    try:
        yield from _line_blocks(chunks, max_line or MAX_LINE_BYTES)
    finally:
        chunks.close()


def _cut(data: bytes) -> int:
    """Where the last line end in ``data`` is (just after it; 0 when there is none)."""
    cut = data.rfind(b"\n") + 1
    if cut:
        return cut
    # a file whose lines end in a bare \r; keep a final \r back in case \n follows it
    return data.rfind(b"\r", 0, len(data) - 1) + 1


def _line_blocks(chunks: _Chunks, max_line: int) -> Iterator[LineBlock | StreamFault]:
    number = 1
    pending = b""  # the start of a line whose end has not been read yet
    while True:
        data = chunks.read()
        final = not data
        block: bytes | memoryview = b""
        if final:
            if chunks.fault is None:  # after a broken stream the unfinished line belongs to the fault
                block, pending = pending, b""
        else:
            cut = _cut(data)
            if cut:
                block = b"".join((pending, memoryview(data)[:cut])) if pending else memoryview(data)[:cut]
                pending = data[cut:]
            else:
                pending += data
        if len(block):
            item = LineBlock(number, block)
            if len(block) > max_line:
                yield from _split_long(item.lines, number, max_line)
            else:
                yield item
            number += item.count
        if len(pending) > max_line:
            yield StreamFault(number, "<line>", _too_long(max_line), shown(pending))
            pending = _skip_to_next_line(chunks)
            number += 1
            if chunks.fault is not None and not pending:
                break
            continue
        if final:
            break
    if chunks.fault is not None:
        yield StreamFault(number, "<gzip>" if chunks.compressed else "<file>", chunks.fault, shown(pending))


def _split_long(lines: list[bytes], number: int, max_line: int) -> Iterator[LineBlock | StreamFault]:
    start = 0
    for index, line in enumerate(lines):
        if len(line) > max_line:
            if index > start:
                yield LineBlock(number + start, b"\n".join(lines[start:index]) + b"\n")
            yield StreamFault(number + index, "<line>", _too_long(max_line), shown(line))
            start = index + 1
    if start < len(lines):
        yield LineBlock(number + start, b"\n".join(lines[start:]) + b"\n")


def _too_long(max_line: int) -> str:
    return f"the line is longer than {max_line:,} bytes, the most read as one record"


def _skip_to_next_line(chunks: _Chunks) -> bytes:
    """Discard the rest of an over-long line; return what follows its line end."""
    while True:
        data = chunks.read()
        if not data:
            return b""
        ends = [i for i in (data.find(b"\n"), data.find(b"\r")) if i >= 0]
        if not ends:
            continue
        end = min(ends)
        rest = data[end + 1 :]
        if data[end : end + 1] == b"\r":
            if not rest:  # \r\n may be split across reads
                rest = chunks.read()
            if rest.startswith(b"\n"):
                rest = rest[1:]
        return rest


def read_document(path: Path, limit: int | None = None) -> tuple[bytes, str | None]:
    """The whole file (decompressed), a leading byte order mark dropped, and the problem that
    stopped reading it, if any (larger than ``limit``, :data:`MAX_DOCUMENT_BYTES`; truncated or
    corrupt gzip)."""
    limit = limit or MAX_DOCUMENT_BYTES
    chunks = _Chunks(path, BLOCK_BYTES)
    parts: list[bytes] = []
    try:
        while True:
            data = chunks.read()
            if not data:
                break
            parts.append(data)
            if chunks.total > limit:
                return (
                    b"",
                    f"the file is larger than {limit:,} bytes, the most read as one JSON document; "
                    "write it as JSON Lines",
                )
    finally:
        chunks.close()
    return b"".join(parts), chunks.fault


# ----------------------------------------------------------------------------- JSON


def decode_json(text: bytes | str) -> Any:
    """One JSON value, or :class:`JSONTextError` saying what is wrong with the text.

    orjson reads it; text orjson refuses is read again by Python's ``json`` (which also takes
    ``NaN`` and ``Infinity``), so its message says where the text goes wrong.  Values nested
    deeper than :data:`MAX_DEPTH` and strings with unpaired surrogate escapes are refused.
    """
    deep = _could_be_deep(text)
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        if "depth" in str(error) or "recursion" in str(error):
            raise JSONTextError(f"is nested more than {MAX_DEPTH} levels deep") from None
        value = _decode_with_json(text)
        _check_text(value)
    if deep:
        if nesting_depth(value) > MAX_DEPTH:
            raise JSONTextError(f"is nested more than {MAX_DEPTH} levels deep") from None
    return value


def _could_be_deep(text: bytes | str) -> bool:
    if isinstance(text, str):
        return text.count("[") + text.count("{") > MAX_DEPTH
    return text.count(b"[") + text.count(b"{") > MAX_DEPTH


def _decode_with_json(text: bytes | str) -> Any:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise JSONTextError(not_utf8(error)) from None
    try:
        return json.loads(text)
    except RecursionError:
        raise JSONTextError(f"is nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as error:  # JSONDecodeError, or a number too long to convert
        raise JSONTextError(f"invalid JSON ({error})", getattr(error, "lineno", None)) from None


def nesting_depth(value: Any) -> int:
    """How deeply arrays and objects nest in a decoded JSON value (a scalar is 0), without recursion;
    counting stops past :data:`MAX_DEPTH`."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        if depth > deepest:
            deepest = depth
            if deepest > MAX_DEPTH:
                return deepest
        stack.extend((child, depth) for child in children if isinstance(child, (dict, list)))
    return deepest


def _check_text(value: Any) -> None:
    """Refuse strings that cannot be stored as text: unpaired surrogates (``"\\ud800"``)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    raise JSONTextError(
                        "has a string with an unpaired surrogate escape "
                        f"({shown(item.encode('utf-8', 'backslashreplace'), 60)!s})"
                    ) from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)

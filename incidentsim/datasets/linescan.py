"""One compiled pass over a block of lines: where each line is, and what the readers need to know of it.

:func:`scan_lines` splits a block as ``bytes.splitlines`` does (``\\n``, ``\\r\\n`` and ``\\r`` end
a line), strips each line as ``bytes.strip`` does, and notes for each line whether it is one
whole object (starts with ``{``, ends with ``}``, at most ``max_brackets`` opening brackets,
so never nested deeper than that), whether it has a double quote, and where the value of its
``"dimensions"`` key is, when the line has exactly one such key written out plainly.  :func:`gather` copies
chosen lines into one buffer.  Both run without the GIL.
"""

from __future__ import annotations

import numba
import numpy as np

WHOLE = 1  # the line is one object with few enough brackets to be read column-wise
BLANK = 2  # nothing but white space
QUOTE = 4  # the line has a double quote (a CSV field may run over line ends)

_KEY = np.frombuffer(b'dimensions"', dtype=np.uint8)
# what a byte is to the scan: 0 nothing, 1 a line end, 2 an opening bracket, 3 a quote or a backslash
_CLASSES = np.zeros(256, dtype=np.uint8)
_CLASSES[[10, 13]] = 1
_CLASSES[[123, 91]] = 2
_CLASSES[[34, 92]] = 3


@numba.njit(cache=True, nogil=True)
def _is_space(c: int) -> bool:
    return c == 32 or c == 9 or c == 11 or c == 12


@numba.njit(cache=True, nogil=True)
def _scan(data, classes, key, max_brackets, starts, ends, raw_starts, raw_ends, flags, dims_starts, dims_ends):
    n = len(data)
    klen = len(key)
    line = 0
    i = 0
    capacity = len(starts)
    while i < n:
        if line == capacity:
            return -1  # more lines than room: the caller counts them and scans again
        start = i
        brackets = 0
        found = 0
        found_at = -1
        quotes = 0
        escaped_letter = False
        while i < n:
            c = data[i]
            kind = classes[c]
            if kind == 0:  # most bytes: nothing to note
                i += 1
                continue
            if kind == 1:
                break
            if kind == 2:
                brackets += 1
            elif c == 34:
                quotes += 1
                if i + klen < n:
                    same = True
                    for k in range(klen):
                        if data[i + 1 + k] != key[k]:
                            same = False
                            break
                    if same:
                        found += 1
                        found_at = i
            elif c == 92:
                # \u0061-\u007a could spell a key in escapes: such lines are read the other way
                if (
                    i + 4 < n
                    and data[i + 1] == 117
                    and data[i + 2] == 48
                    and data[i + 3] == 48
                    and (data[i + 4] == 54 or data[i + 4] == 55)
                ):
                    escaped_letter = True
            i += 1
        end = i
        if i < n:
            if data[i] == 13 and i + 1 < n and data[i + 1] == 10:
                i += 2
            else:
                i += 1
        s = start
        e = end
        while s < e and _is_space(data[s]):
            s += 1
        while e > s and _is_space(data[e - 1]):
            e -= 1
        starts[line] = s
        ends[line] = e
        raw_starts[line] = start
        raw_ends[line] = end
        flag = 0
        if s == e:
            flag = BLANK
        elif data[s] == 123 and data[e - 1] == 125 and brackets <= max_brackets:
            flag = WHOLE
        if quotes:
            flag |= QUOTE
        flags[line] = flag
        dims_starts[line] = -1
        dims_ends[line] = -1
        if found == 1 and not escaped_letter:
            j = found_at + 1 + klen
            while j < e and (data[j] == 32 or data[j] == 9):
                j += 1
            if j < e and data[j] == 58:  # ":"
                j += 1
                while j < e and (data[j] == 32 or data[j] == 9):
                    j += 1
                if j < e and data[j] == 123:  # "{"
                    k = j + 1
                    while k < e and data[k] != 125 and data[k] != 123:
                        k += 1
                    if k < e and data[k] == 125:
                        dims_starts[line] = j
                        dims_ends[line] = k + 1
        line += 1
    return line


@numba.njit(cache=True, nogil=True)
def _gather(data, starts, ends, separator, out, offsets):
    position = 0
    for index in range(len(starts)):
        offsets[index] = position
        size = ends[index] - starts[index]
        out[position : position + size] = data[starts[index] : ends[index]]
        position += size
        if separator >= 0:
            out[position] = separator
            position += 1
    offsets[len(starts)] = position
    return position


class Lines:
    """The lines of a block: ``starts``/``ends`` (stripped), ``flags`` and the ``"dimensions"`` spans."""

    def __init__(self, data: bytes | memoryview, max_brackets: int):
        self.data = data
        self.array = np.frombuffer(data, dtype=np.uint8)
        count = self._scan(len(data) // 48 + 16, max_brackets)  # JSON events are hundreds of bytes a line
        if count < 0:
            count = self._scan(line_ends(self.array) + 1, max_brackets)
        for name in ("starts", "ends", "raw_starts", "raw_ends", "flags", "dims_starts", "dims_ends"):
            setattr(self, name, getattr(self, name)[:count])
        self.count = count

    def _scan(self, room: int, max_brackets: int) -> int:
        self.starts = np.empty(room, dtype=np.int64)
        self.ends = np.empty(room, dtype=np.int64)
        self.raw_starts = np.empty(room, dtype=np.int64)
        self.raw_ends = np.empty(room, dtype=np.int64)
        self.flags = np.empty(room, dtype=np.int8)
        self.dims_starts = np.empty(room, dtype=np.int64)
        self.dims_ends = np.empty(room, dtype=np.int64)
        return int(
            _scan(
                self.array,
                _CLASSES,
                _KEY,
                max_brackets,
                self.starts,
                self.ends,
                self.raw_starts,
                self.raw_ends,
                self.flags,
                self.dims_starts,
                self.dims_ends,
            )
        )

    def text(self, line: int) -> bytes:
        return bytes(self.data[self.starts[line] : self.ends[line]])

    def gather(self, lines: np.ndarray, separator: int = -1, stripped: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """The chosen lines (stripped, or as written) end to end, with ``separator`` after each if
        given, and their offsets."""
        starts = (self.starts if stripped else self.raw_starts)[lines]
        ends = (self.ends if stripped else self.raw_ends)[lines]
        size = int((ends - starts).sum()) + (len(lines) if separator >= 0 else 0)
        out = np.empty(size, dtype=np.uint8)
        offsets = np.empty(len(lines) + 1, dtype=np.int64)
        _gather(self.array, starts, ends, separator, out, offsets)
        return out, offsets

    def gather_spans(self, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The spans ``[starts, ends)`` of the block end to end, and their offsets."""
        return gather_spans(self.array, starts, ends)


def gather_spans(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The spans ``data[starts[i]:ends[i]]`` end to end, and their offsets (one compiled pass)."""
    starts = np.ascontiguousarray(starts, dtype=np.int64)
    ends = np.ascontiguousarray(ends, dtype=np.int64)
    out = np.empty(int((ends - starts).sum()), dtype=np.uint8)
    offsets = np.empty(len(starts) + 1, dtype=np.int64)
    _gather(data, starts, ends, -1, out, offsets)
    return out, offsets


@numba.njit(cache=True, nogil=True)
def _line_ends(data):
    count = 0
    for c in data:
        if c == 10 or c == 13:
            count += 1
    return count


@numba.njit(cache=True, nogil=True)
def _count_lines(data):
    count = 0
    n = len(data)
    for i in range(n):
        c = data[i]
        if c == 10 or (c == 13 and (i + 1 == n or data[i + 1] != 10)):
            count += 1
    if n and data[n - 1] != 10 and data[n - 1] != 13:
        count += 1
    return count


def count_lines(array: np.ndarray) -> int:
    """How many lines, as ``len(bytes.splitlines())`` counts them."""
    return int(_count_lines(array))


def line_ends(array: np.ndarray) -> int:
    """How many ``\n`` and ``\r`` bytes (an upper bound on the line ends)."""
    return int(_line_ends(array))


def scan_lines(data: bytes | memoryview, max_brackets: int) -> Lines:
    """Scan a block of lines (see the module's description)."""
    return Lines(data, max_brackets)

"""Record ids of many records at once: :func:`.schema.record_id` (the first 20 hex digits of the
SHA-1 of a record's UTF-8 text), for spans of a buffer, without a Python call per record.

Where Python's own OpenSSL can be found (Linux: the ``libcrypto`` that ``hashlib`` uses), the
digests are computed by a compiled loop that calls OpenSSL's SHA-1 and runs without the GIL;
elsewhere by ``hashlib``, one record at a time.  Both give the same ids (tested), which are the
ids :func:`.schema.record_id` gives.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
from typing import Any

import numba
import numpy as np
import pyarrow as pa

ID_DIGITS = 20
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_CONTEXT_BYTES = 256  # OpenSSL's SHA_CTX is 96 bytes
_ENOUGH_FOR_COMPILED = 2_000  # below this many records the per-record loop is as quick


@numba.njit(cache=True, nogil=True)
def _sha1_spans(init, update, final, data, starts, ends, out, context):
    base = data.ctypes.data
    target = out.ctypes.data
    state = context.ctypes.data
    for i in range(len(starts)):
        init(state)
        update(state, base + starts[i], ends[i] - starts[i])
        final(target + 20 * i, state)


@functools.lru_cache(maxsize=1)
def _openssl() -> tuple[Any, Any, Any] | None:
    """OpenSSL's SHA1_Init, SHA1_Update and SHA1_Final from the library ``hashlib`` already loaded."""
    import _hashlib  # noqa: F401 - loads the libcrypto this process already trusts

    try:
        with open("/proc/self/maps") as maps:
            paths = {fields[-1] for fields in (line.split() for line in maps) if len(fields) >= 6}
    except OSError:  # not Linux: hashlib it is
        return None
    for path in sorted(p for p in paths if p.startswith("/") and os.path.basename(p).startswith("libcrypto.so")):
        try:
            library = ctypes.CDLL(path)
            init, update, final = library.SHA1_Init, library.SHA1_Update, library.SHA1_Final
        except (OSError, AttributeError):
            continue
        for function in (init, update, final):
            function.restype = ctypes.c_int
        init.argtypes = [ctypes.c_void_p]
        update.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
        final.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        if _check(init, update, final):
            return init, update, final
    return None


def _check(init: Any, update: Any, final: Any) -> bool:
    sample = np.frombuffer(b"incidentsim", dtype=np.uint8)
    out = np.empty(20, dtype=np.uint8)
    try:
        _sha1_spans(
            init,
            update,
            final,
            sample,
            np.array([0]),
            np.array([len(sample)]),
            out,
            np.zeros(_CONTEXT_BYTES, dtype=np.uint8),
        )
    except Exception:  # pragma: no cover - a library that is not what it says: use hashlib
        return False
    return out.tobytes() == hashlib.sha1(b"incidentsim").digest()


def span_digests(data: np.ndarray, starts: np.ndarray, ends: np.ndarray, compiled: bool | None = None) -> np.ndarray:
    """The SHA-1 digest of each span ``data[starts[i]:ends[i]]``, as an (n, 20) byte array."""
    count = len(starts)
    out = np.empty(count * 20, dtype=np.uint8)
    functions = _openssl() if (compiled if compiled is not None else count >= _ENOUGH_FOR_COMPILED) else None
    if functions is not None:
        _sha1_spans(
            *functions,
            data,
            np.ascontiguousarray(starts, dtype=np.int64),
            np.ascontiguousarray(ends, dtype=np.int64),
            out,
            np.zeros(_CONTEXT_BYTES, dtype=np.uint8),
        )
    else:
        view = data.data
        sha1 = hashlib.sha1
        out[:] = np.frombuffer(
            b"".join([sha1(view[s:e]).digest() for s, e in zip(starts.tolist(), ends.tolist())]), dtype=np.uint8
        )
    return out.reshape(count, 20)


def span_id_chars(data: np.ndarray, starts: np.ndarray, ends: np.ndarray, compiled: bool | None = None) -> np.ndarray:
    """:func:`.schema.record_id` of each span of ``data`` (UTF-8 text), as an (n, ID_DIGITS) array
    of the ids' ASCII characters."""
    digests = span_digests(data, starts, ends, compiled)[:, : ID_DIGITS // 2]
    chars = np.empty((len(digests), ID_DIGITS), dtype=np.uint8)
    chars[:, 0::2] = _HEX[digests >> 4]
    chars[:, 1::2] = _HEX[digests & 15]
    return chars


def span_ids(data: np.ndarray, starts: np.ndarray, ends: np.ndarray, compiled: bool | None = None) -> pa.Array:
    """:func:`.schema.record_id` of each span of ``data`` (UTF-8 text), as Arrow text."""
    return id_text(span_id_chars(data, starts, ends, compiled))


def id_text(chars: np.ndarray) -> pa.Array:
    """Rows of id characters (as :func:`span_id_chars` gives them) as Arrow text, without a copy."""
    count, width = chars.shape
    offsets = np.arange(0, width * count + 1, width, dtype=np.int64)
    return pa.Array.from_buffers(
        pa.large_string(), count, [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(chars))]
    )


def text_spans(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The bytes of an Arrow text array and its offsets (``len(texts) + 1`` of them), without a copy."""
    texts = texts.cast(pa.large_string())
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int64)[texts.offset : texts.offset + len(texts) + 1]
    data_buffer = texts.buffers()[2]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, dtype=np.uint8)
    return data, offsets


def text_id_chars(texts: pa.Array, compiled: bool | None = None) -> np.ndarray:
    """:func:`.schema.record_id` of each value of an Arrow text array, as :func:`span_id_chars` gives them."""
    data, offsets = text_spans(texts)
    return span_id_chars(data, offsets[:-1], offsets[1:], compiled)


@numba.njit(cache=True, nogil=True)
def _fnv1a(data, offsets, out):
    for i in range(len(out)):
        value = np.uint64(0xCBF29CE484222325)
        for j in range(offsets[i], offsets[i + 1]):
            value = (value ^ np.uint64(data[j])) * np.uint64(0x100000001B3)
        out[i] = value


def text_hashes(texts: pa.Array) -> np.ndarray:
    """A 64-bit FNV-1a hash of each value of an Arrow text array (equal texts, equal hashes)."""
    data, offsets = text_spans(texts)
    if not data.size:
        data = np.zeros(1, dtype=np.uint8)
    out = np.empty(len(offsets) - 1, dtype=np.uint64)
    _fnv1a(data, np.ascontiguousarray(offsets), out)
    return out


def surely_distinct(texts: pa.Array | pa.ChunkedArray) -> bool:
    """True when no two values are equal, decided from a 64-bit hash of each without building the
    set of values; False means "maybe not" (a missing value, or two equal hashes)."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks() if texts.num_chunks != 1 else texts.chunk(0)
    if texts.null_count:
        return False
    keys = np.sort(text_hashes(texts))
    return not bool((keys[1:] == keys[:-1]).any())

"""Memory-mappable string tables: the vocabulary and the document ids without Python objects.

A ``StringTable`` is three flat arrays: the UTF-8 bytes of every string back to back (``blob``),
their start offsets (``offsets``, n + 1 entries) and an open-addressing hash table (``slots``,
a power of two, -1 for empty; linear probing on CRC-32 of the UTF-8 bytes, which is the same in
every process, unlike Python's ``hash``). All three live in the artifact and are memory-mapped on
load, so a second process that loads the same file maps them instead of building a list of
258k strings and a dict per process; a lookup costs one CRC-32 and one or two byte compares.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import overload

import numpy as np

EMPTY = -1


def _slot_count(n: int) -> int:
    """A power of two at least twice ``n`` (load factor at most 1/2), at least 8."""
    size = 8
    while size < 2 * n:
        size *= 2
    return size


class StringTable(Sequence[str]):
    """An immutable list of distinct strings with O(1) string -> position lookup."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray, slots: np.ndarray) -> None:
        self.blob, self.offsets, self.slots = blob, offsets, slots
        # memoryviews: indexing one returns a Python int / bytes slice without numpy scalars.
        self._blob = np.ascontiguousarray(blob, dtype=np.uint8).data
        self._offsets = np.ascontiguousarray(offsets, dtype=np.int64).data
        self._slots = np.ascontiguousarray(slots, dtype=np.int32).data
        self._mask = len(slots) - 1
        if len(slots) & self._mask or len(offsets) < 1:
            raise ValueError("slots must be a power of two and offsets non-empty")

    @classmethod
    def build(cls, strings: Iterable[str]) -> StringTable:
        """The table of ``strings`` in their order (they must be distinct)."""
        encoded = [s.encode("utf-8") for s in strings]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
        blob = np.frombuffer(b"".join(encoded), dtype=np.uint8).copy()
        slots = np.full(_slot_count(len(encoded)), EMPTY, dtype=np.int32)
        mask = len(slots) - 1
        table = slots.tolist()
        for i, b in enumerate(encoded):
            h = zlib.crc32(b) & mask
            while table[h] != EMPTY:
                if encoded[table[h]] == b:
                    raise ValueError(f"duplicate string {b.decode('utf-8')!r}")
                h = (h + 1) & mask
            table[h] = i
        slots[:] = table
        return cls(blob, offsets, slots)

    def find(self, s: str) -> int:
        """Position of ``s``, or -1."""
        b = s.encode("utf-8")
        mask, slots, offsets, blob = self._mask, self._slots, self._offsets, self._blob
        h = zlib.crc32(b) & mask
        while True:
            i = slots[h]
            if i == EMPTY:
                return -1
            if blob[offsets[i] : offsets[i + 1]] == b:
                return int(i)
            h = (h + 1) & mask

    def find_many(self, strings: Iterable[str]) -> list[int]:
        """Positions of ``strings`` (-1 for a missing one): ``find`` without a call per string."""
        mask, slots, offsets, blob = self._mask, self._slots, self._offsets, self._blob
        crc32 = zlib.crc32
        out = []
        for s in strings:
            b = s.encode("utf-8")
            h = crc32(b) & mask
            while True:
                i = slots[h]
                if i == EMPTY or blob[offsets[i] : offsets[i + 1]] == b:
                    break
                h = (h + 1) & mask
            out.append(i)
        return out

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> list[str]: ...

    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = int(i)
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("StringTable index out of range")
        return bytes(self._blob[self._offsets[i] : self._offsets[i + 1]]).decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        data = bytes(self._blob)
        offsets = self._offsets
        for i in range(len(self)):
            yield data[offsets[i] : offsets[i + 1]].decode("utf-8")

    def __contains__(self, s: object) -> bool:
        return isinstance(s, str) and self.find(s) >= 0

    def positions(self) -> Positions:
        """This table as a read-only mapping string -> position."""
        return Positions(self)


class Positions(Mapping[str, int]):
    """Mapping view of a StringTable (what ``vocabulary_`` and ``row_of_`` are after load)."""

    def __init__(self, table: StringTable) -> None:
        self.table = table

    def __getitem__(self, key: str) -> int:
        i = self.table.find(key) if isinstance(key, str) else -1
        if i < 0:
            raise KeyError(key)
        return i

    def get(self, key: str, default: int | None = None) -> int | None:  # type: ignore[override]
        i = self.table.find(key) if isinstance(key, str) else -1
        return default if i < 0 else i

    def get_many(self, keys: Iterable[str]) -> list[int]:
        """Positions of ``keys``, -1 for a missing one (one call for a whole document)."""
        return self.table.find_many(keys)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.table.find(key) >= 0

    def __iter__(self) -> Iterator[str]:
        return iter(self.table)

    def __len__(self) -> int:
        return len(self.table)


class CodedStrings(Sequence["str | None"]):
    """A per-document column of few distinct strings (fields, regions): int32 codes + values."""

    def __init__(self, codes: np.ndarray, values: Sequence[str | None]) -> None:
        self.codes = codes
        self.values = list(values)
        self._codes = np.ascontiguousarray(codes, dtype=np.int32).data

    @classmethod
    def build(cls, column: Iterable[str | None]) -> CodedStrings:
        """Codes in order of first appearance."""
        index: dict[str | None, int] = {}
        codes = np.fromiter((index.setdefault(v, len(index)) for v in column), dtype=np.int32)
        return cls(codes, list(index))

    def __len__(self) -> int:
        return len(self._codes)

    @overload
    def __getitem__(self, i: int) -> str | None: ...

    @overload
    def __getitem__(self, i: slice) -> list[str | None]: ...

    def __getitem__(self, i: int | slice) -> str | None | list[str | None]:
        if isinstance(i, slice):
            return [self.values[c] for c in self._codes[i]]
        return self.values[self._codes[i]]

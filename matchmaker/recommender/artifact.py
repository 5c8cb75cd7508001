"""Versioned, checksummed artifact: save atomically, load with validation."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from matchmaker.recommender.document import Document
from matchmaker.recommender.index import InvertedIndex
from matchmaker.recommender.vocab import CodedStrings, StringTable

if TYPE_CHECKING:
    from matchmaker.recommender.model import Recommender

MAGIC = b"MATCHMAKER-RECOMMENDER\n"
# 2: raw arrays at 64-byte aligned offsets (memory-mapped on load) instead of an npz.
# 3: the vocabulary and the ids as mapped string tables (vocab.StringTable), fields and regions
#    as codes; version 2 files still load (their JSON lists are turned into tables on load).
FORMAT_VERSION = 3
READABLE_VERSIONS = (2, 3)
ALIGN = 64
_ARRAYS: tuple[str, ...] = ("idf", "indptr", "indices", "data", "qptr", "qidx", "qval")
_ARRAYS += ("kind_codes", "trl", "amount", "updated", "active", "alive")


class ArtifactError(Exception):
    """The artifact is missing, corrupt, or of another format version: refit or fall back."""


def _json_array(value: object) -> np.ndarray:
    """Strings travel as UTF-8 JSON inside the npz, so no pickle is ever needed to load."""
    return np.frombuffer(json.dumps(value, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)


def _table_arrays(name: str, strings: Sequence[str]) -> dict[str, np.ndarray]:
    """A string list as the three arrays of a StringTable (reused when it already is one)."""
    table = strings if isinstance(strings, StringTable) else StringTable.build(strings)
    return {
        name + "_blob": table.blob,
        name + "_offsets": table.offsets,
        name + "_slots": table.slots,
    }


def _coded_arrays(name: str, column: Sequence[str | None]) -> dict[str, np.ndarray]:
    """A column of few distinct strings as int32 codes plus its values (JSON)."""
    coded = column if isinstance(column, CodedStrings) else CodedStrings.build(column)
    return {name + "_codes": coded.codes, name + "_values": _json_array(coded.values)}


def save(model: Recommender, path: Path) -> None:
    """Write ``model`` to ``path`` through a temporary file and os.replace (atomic)."""
    arrays = {
        "idf": model.vectorizer_.idf_,
        "indptr": model.index_.indptr,
        "indices": model.index_.indices,
        "data": model.index_.data,
        "qptr": model.qptr_,
        "qidx": model.qidx_,
        "qval": model.qval_,
        "kind_codes": model.kind_codes_,
        "trl": model.trl_,
        "amount": model.amount_,
        "updated": model.updated_,
        "active": model.active_,
        "alive": model.alive_,
        **_table_arrays("terms", model.vectorizer_.terms_),
        **_table_arrays("ids", model.ids_),
        **_coded_arrays("fields", model.fields_),
        **_coded_arrays("regions", model.regions_),
        "user_words": _json_array(list(model.user_words_)),
        "side": _json_array([dataclasses.asdict(d) for d, _, _ in model.side_.values()]),
    }
    layout: dict[str, list] = {}
    chunks: list[bytes] = []
    offset = 0
    digest = hashlib.sha256()
    for name, value in arrays.items():
        array = np.ascontiguousarray(value)
        pad = -offset % ALIGN
        chunks.append(b"\0" * pad)
        offset += pad
        layout[name] = [array.dtype.str, list(array.shape), offset]
        data = array.tobytes()
        chunks.append(data)
        offset += len(data)
    for chunk in chunks:
        digest.update(chunk)
    header = {
        "format_version": FORMAT_VERSION,
        "payload_bytes": offset,
        "payload_sha256": digest.hexdigest(),
        "n_docs": int(model.index_.n_docs),
        "params": model.get_params(),
        "arrays": layout,
    }
    line = json.dumps(header, sort_keys=True).encode("utf-8")
    # Pad the header line so the payload (and so every array) starts 64-byte aligned.
    line += b" " * (-(len(MAGIC) + len(line) + 1) % ALIGN) + b"\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(MAGIC)
            handle.write(line)
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        # Readers see the old file or the new one, never half of one.
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_header(path: Path) -> dict:
    """The artifact's header (format version, sizes, parameters) without loading the payload."""
    with open(path, "rb") as handle:
        return _header(handle)


def _header(handle: io.BufferedIOBase) -> dict:
    """Check the magic line and parse the JSON header line."""
    if handle.read(len(MAGIC)) != MAGIC:
        raise ArtifactError("not a matchmaker recommender artifact")
    try:
        header = json.loads(handle.readline())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"unreadable artifact header: {exc}") from exc
    if not isinstance(header, dict) or header.get("format_version") not in READABLE_VERSIONS:
        found = header.get("format_version") if isinstance(header, dict) else None
        raise ArtifactError(f"artifact format {found!r}, this code reads {FORMAT_VERSION}")
    return header


def load(cls: type[Recommender], path: Path) -> Recommender:
    """Read and validate an artifact; any defect raises ArtifactError.

    The arrays are memory-mapped read-only (np.memmap), not read: every process that loads the
    same file shares one copy of the index in the page cache.
    """
    try:
        with open(path, "rb") as handle:
            header = _header(handle)
            start = handle.tell()
            digest = hashlib.file_digest(handle, "sha256")
            size = handle.tell() - start
    except OSError as exc:
        raise ArtifactError(f"cannot read artifact {path}: {exc}") from exc
    if size != header.get("payload_bytes"):
        raise ArtifactError("artifact is truncated")
    if digest.hexdigest() != header.get("payload_sha256"):
        raise ArtifactError("artifact checksum mismatch")
    try:
        whole = np.memmap(path, dtype=np.uint8, mode="r")
        arrays = {}
        for name, (dtype, shape, offset) in header["arrays"].items():
            dt = np.dtype(dtype)
            if dt.hasobject:
                raise ArtifactError(f"artifact array {name} holds objects")
            count = int(np.prod(shape)) if shape else 1
            lo = start + int(offset)
            arrays[name] = whole[lo : lo + count * dt.itemsize].view(dt).reshape(shape)
        model = cls(**header["params"])
        _restore(model, arrays, int(header["n_docs"]))
    except ArtifactError:
        raise
    except Exception as exc:  # a checksummed but inconsistent file is still unusable
        raise ArtifactError(f"artifact content is invalid: {exc}") from exc
    return model


def _from_json(array: np.ndarray) -> Any:
    """Inverse of _json_array."""
    return json.loads(bytes(array).decode("utf-8"))


def _table(arrays: dict[str, np.ndarray], name: str) -> StringTable:
    """The mapped StringTable ``name`` (format 3) or one built from its JSON list (format 2)."""
    if name + "_blob" in arrays:
        blob, offsets, slots = (arrays[name + part] for part in ("_blob", "_offsets", "_slots"))
        return StringTable(blob, offsets, slots)
    return StringTable.build(_from_json(arrays[name]))


def _coded(arrays: dict[str, np.ndarray], name: str) -> Sequence[str | None]:
    """The column ``name`` as mapped codes (format 3) or the JSON list (format 2)."""
    if name + "_codes" in arrays:
        return CodedStrings(arrays[name + "_codes"], _from_json(arrays[name + "_values"]))
    return list(_from_json(arrays[name]))


def _restore(model: Recommender, arrays: dict[str, np.ndarray], n_docs: int) -> None:
    """Set the fitted state of ``model`` from the stored arrays."""
    missing = [name for name in _ARRAYS if name not in arrays]
    if missing:
        raise ArtifactError(f"artifact lacks {missing}")
    model.user_words_ = tuple(_from_json(arrays["user_words"]))
    model.analyzer_ = model._make_analyzer()
    vectorizer = model._make_vectorizer()
    terms = _table(arrays, "terms")
    vectorizer.terms_ = terms
    vectorizer.vocabulary_ = terms.positions()
    vectorizer.idf_ = arrays["idf"].astype(np.float32, copy=False)
    model.vectorizer_ = vectorizer
    model.index_ = InvertedIndex.from_arrays(
        arrays["indptr"], arrays["indices"], arrays["data"], n_docs
    )
    ids = _table(arrays, "ids")
    model.ids_ = ids
    model.row_of_ = ids.positions()
    model.fields_ = _coded(arrays, "fields")
    model.regions_ = _coded(arrays, "regions")
    # alive_ changes on add/remove, so it is copied; everything else stays mapped (shared).
    for name in ("kind_codes", "trl", "amount", "updated", "active"):
        setattr(model, name + "_", arrays[name])
    model.alive_ = np.array(arrays["alive"])
    for name in ("qptr", "qidx", "qval"):
        setattr(model, name + "_", arrays[name])
    if not (len(model.ids_) == n_docs == len(model.alive_) == len(model.qptr_) - 1):
        raise ArtifactError("artifact arrays disagree on the number of documents")
    if len(model.index_.indptr) != len(vectorizer.terms_) + 1:
        raise ArtifactError("artifact index and vocabulary disagree")
    model.side_ = {}
    model._side_cache = None
    for fields in _from_json(arrays["side"]):
        fields["keywords"] = tuple(fields["keywords"])
        model.add(Document(**fields))

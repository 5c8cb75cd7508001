"""Issue 18, speed and memory: parallel fit, mapped vocabulary and ids, no copy on load."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from matchmaker.recommender import Recommender
from matchmaker.recommender import model as model_module
from matchmaker.recommender.artifact import MAGIC
from matchmaker.recommender.corpus import SyntheticCorpus
from matchmaker.recommender.vocab import CodedStrings, Positions, StringTable

N_DOCS = 400


@pytest.fixture(scope="module")
def corpus() -> SyntheticCorpus:
    return SyntheticCorpus(N_DOCS, seed=3)


@pytest.fixture(scope="module")
def serial(corpus: SyntheticCorpus) -> Recommender:
    return Recommender().fit(corpus, n_jobs=1)


def _fitted_arrays(model: Recommender) -> dict[str, np.ndarray]:
    return {
        "idf": model.vectorizer_.idf_,
        "indptr": model.index_.indptr,
        "indices": model.index_.indices,
        "data": model.index_.data,
        "qptr": model.qptr_,
        "qidx": model.qidx_,
        "qval": model.qval_,
    }


def test_parallel_fit_is_identical_to_serial(
    corpus: SyntheticCorpus, serial: Recommender, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small batches: many batch boundaries, and terms first seen in later batches.
    monkeypatch.setattr(model_module, "BATCH_DOCS", 37)
    parallel = Recommender().fit(corpus, n_jobs=2)
    assert list(parallel.vectorizer_.terms_) == list(serial.vectorizer_.terms_)
    for name, array in _fitted_arrays(serial).items():
        other = _fitted_arrays(parallel)[name]
        assert other.dtype == array.dtype, name
        assert np.array_equal(other, array), name  # bit for bit, not approximately
    # Pass one (row metadata, domain words) runs in the workers too.
    assert parallel.ids_ == serial.ids_ and parallel.user_words_ == serial.user_words_
    assert parallel.fields_ == serial.fields_ and parallel.regions_ == serial.regions_
    for name in ("kind_codes_", "trl_", "amount_", "active_"):
        assert np.array_equal(getattr(parallel, name), getattr(serial, name)), name
    assert np.array_equal(parallel.updated_, serial.updated_, equal_nan=True)
    need = corpus[1] if corpus[1].kind == "need" else corpus[0]
    assert parallel.rank(need, target_kind="result") == serial.rank(need, target_kind="result")


def test_parallel_fit_is_the_default_for_large_inputs_only() -> None:
    assert model_module._jobs(None, model_module.PARALLEL_MIN_DOCS - 1) == 1
    assert model_module._jobs(1, 10**6) == 1
    assert model_module._jobs(2, 10**6) == 2


def test_string_table_lookup() -> None:
    words = ["碳纤维", "b", "a", "", "heat exchanger", "锂"]
    table = StringTable.build(words)
    assert list(table) == words and len(table) == len(words)
    assert [table.find(w) for w in words] == list(range(len(words)))
    assert table.find("碳纤") == -1 and "x" not in table
    assert table[-1] == "锂" and table[np.int64(0)] == "碳纤维"
    positions = table.positions()
    assert positions["a"] == 2 and positions.get("zz") is None and positions.get("zz", -1) == -1
    with pytest.raises(KeyError):
        positions["zz"]
    with pytest.raises(ValueError, match="duplicate"):
        StringTable.build(["a", "a"])
    coded = CodedStrings.build(["x", None, "x", "y"])
    assert list(coded) == ["x", None, "x", "y"] and coded.values == ["x", None, "y"]


def _is_mapped(array: np.ndarray) -> bool:
    """Whether ``array`` is a view of a memory-mapped file (not a copy in this process)."""
    base = array
    while base is not None:
        if isinstance(base, np.memmap):
            return True
        base = base.base
    return False


def test_load_maps_vocabulary_and_ids(serial: Recommender, tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    serial.save(path)
    loaded = Recommender.load(path)
    terms, vocabulary = loaded.vectorizer_.terms_, loaded.vectorizer_.vocabulary_
    # No per-process list of strings or dict: tables over the mapped file.
    assert isinstance(terms, StringTable) and isinstance(vocabulary, Positions)
    assert isinstance(loaded.ids_, StringTable) and isinstance(loaded.row_of_, Positions)
    for array in (terms.blob, terms.offsets, terms.slots, loaded.ids_.blob, loaded.ids_.slots):
        assert _is_mapped(array)
    for array in (loaded.index_.indices, loaded.qidx_, loaded.kind_codes_, loaded.updated_):
        assert _is_mapped(array)
    assert not _is_mapped(loaded.alive_)  # changes on remove(): a private copy
    # The mapped lookup agrees with the fitted dict on every term and id.
    fitted = serial.vectorizer_.vocabulary_
    assert all(vocabulary[t] == i for t, i in fitted.items()) and len(vocabulary) == len(fitted)
    assert "没有这个词汇" not in vocabulary
    assert all(loaded.row_of_[d] == r for r, d in enumerate(serial.ids_))
    assert list(loaded.fields_) == list(serial.fields_)
    assert list(loaded.regions_) == list(serial.regions_)
    doc_id = serial.ids_[5]
    kind = "result" if serial.kind_codes_[5] != 1 else "need"
    assert loaded.rank(doc_id, target_kind=kind) == serial.rank(doc_id, target_kind=kind)
    assert loaded.remove(doc_id) and doc_id not in loaded and doc_id in serial


def test_version_2_artifact_still_loads(serial: Recommender, tmp_path: Path) -> None:
    """A format-2 file (JSON lists for terms, ids, fields, regions) is converted on load."""
    from matchmaker.recommender import artifact

    path = tmp_path / "v2.bin"
    arrays = {
        "terms": artifact._json_array(list(serial.vectorizer_.terms_)),
        "ids": artifact._json_array(list(serial.ids_)),
        "fields": artifact._json_array(list(serial.fields_)),
        "regions": artifact._json_array(list(serial.regions_)),
    }
    real = artifact._table_arrays, artifact._coded_arrays
    artifact._table_arrays = lambda name, strings: {name: arrays[name]}  # type: ignore[assignment]
    artifact._coded_arrays = lambda name, column: {name: arrays[name]}  # type: ignore[assignment]
    try:
        serial.save(path)
    finally:
        artifact._table_arrays, artifact._coded_arrays = real
    raw = path.read_bytes()
    header_end = raw.index(b"\n", len(MAGIC))
    header = json.loads(raw[len(MAGIC) : header_end])
    header["format_version"] = 2
    line = json.dumps(header, sort_keys=True).encode()
    line += b" " * (header_end - len(MAGIC) - len(line))
    path.write_bytes(MAGIC + line + raw[header_end:])
    loaded = Recommender.load(path)
    assert list(loaded.vectorizer_.terms_) == list(serial.vectorizer_.terms_)
    doc_id = serial.ids_[0]
    assert loaded.similar(doc_id) == serial.similar(doc_id)

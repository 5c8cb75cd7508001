"""Persistence: round trip, atomic write, corrupt artifacts detected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matchmaker.recommender import ArtifactError, Document, Recommender
from matchmaker.recommender.artifact import FORMAT_VERSION, MAGIC, read_header
from tests.recommender.conftest import NOW, corpus


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Recommender, Path]:
    model = Recommender(title_weight=3.0).fit(corpus())
    model.add(Document("R-new", "result", "碳纤维汽车部件", field="碳纤维/新材料"))
    model.remove("R-gin")
    path = tmp_path / "models" / "recommender.mmr"
    model.save(path)
    return model, path


def test_round_trip_gives_identical_answers(saved: tuple[Recommender, Path]) -> None:
    model, path = saved
    loaded = Recommender.load(path)
    assert loaded.get_params() == model.get_params()
    assert len(loaded) == len(model)
    assert "R-gin" not in loaded
    for need in ("N-cf", "N-bat", "N-gin"):
        assert loaded.rank(need, target_kind="result", now=NOW) == model.rank(
            need, target_kind="result", now=NOW
        )
    assert loaded.search("碳纤维") == model.search("碳纤维")


def test_save_leaves_no_temporary_files(saved: tuple[Recommender, Path]) -> None:
    _, path = saved
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    assert read_header(path)["format_version"] == FORMAT_VERSION == 3


def test_flipped_byte_is_detected(saved: tuple[Recommender, Path]) -> None:
    _, path = saved
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match="checksum"):
        Recommender.load(path)


def test_truncated_file_is_detected(saved: tuple[Recommender, Path]) -> None:
    _, path = saved
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ArtifactError, match="truncated"):
        Recommender.load(path)


def test_other_format_version_is_refused(saved: tuple[Recommender, Path]) -> None:
    _, path = saved
    raw = path.read_bytes()
    header_end = raw.index(b"\n", len(MAGIC))
    header = json.loads(raw[len(MAGIC) : header_end])
    header["format_version"] = 99
    path.write_bytes(MAGIC + json.dumps(header).encode() + raw[header_end:])
    with pytest.raises(ArtifactError, match="format"):
        Recommender.load(path)


@pytest.mark.parametrize("content", [b"", b"not an artifact", MAGIC + b"{broken\n"])
def test_garbage_and_missing_files_are_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.mmr"
    path.write_bytes(content)
    with pytest.raises(ArtifactError):
        Recommender.load(path)
    with pytest.raises(ArtifactError):
        Recommender.load(tmp_path / "missing.mmr")


def test_empty_model_round_trips(tmp_path: Path) -> None:
    Recommender().fit([]).save(tmp_path / "empty.mmr")
    loaded = Recommender.load(tmp_path / "empty.mmr")
    assert len(loaded) == 0
    assert loaded.search("碳纤维") == []

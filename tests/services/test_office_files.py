"""Office uploads are checked by content: real OOXML zips and macro-free .doc files pass; macros,
unsafe zips, renamed zips and other OLE files are refused with their reason, leaving no file."""

from __future__ import annotations

import io
import os
import struct
import zipfile

import openpyxl
import pytest

from matchmaker.services.errors import ValidationFailed
from matchmaker.services.platform import files, office

CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
OOXML = "application/vnd.openxmlformats-officedocument"
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="{target}" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument"/></Relationships>'
)
MAIN = {
    "docx": ("word/document.xml", f"{OOXML}.wordprocessingml.document.main+xml"),
    "pptx": ("ppt/presentation.xml", f"{OOXML}.presentationml.presentation.main+xml"),
    "docm": ("word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml"),
}
BODY = (
    '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
    'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>技术方案</w:t></w:r></w:p></w:body>'
    "</w:document>"
)


def content_types(overrides: dict[str, str]) -> str:
    rows = "".join(
        f'<Override PartName="/{part}" ContentType="{kind}"/>' for part, kind in overrides.items()
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{CT_NS}">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f"{rows}</Types>"
    )


def ooxml(kind: str = "docx", *, extra: dict[str, bytes | str] | None = None) -> bytes:
    """A minimal but well-formed OOXML package of a kind (docx, pptx, docm)."""
    part, main_type = MAIN[kind]
    overrides = {part: main_type}
    if kind == "docm":
        overrides["word/vbaProject.bin"] = "application/vnd.ms-office.vbaProject"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types(overrides))
        archive.writestr("_rels/.rels", RELS.format(target=part))
        archive.writestr(part, BODY)
        if kind == "docm":
            archive.writestr("word/vbaProject.bin", b"\xcc\x61" * 64)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["指标", "数值"])  # type: ignore[union-attr]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_flag_on(data: bytes, name: str, flag: int) -> bytes:
    """Set a general-purpose flag bit of one entry (its local and central headers)."""
    out = bytearray(data)
    encoded = name.encode()
    for magic, flags_at, name_len_at, name_at in (
        (b"PK\x03\x04", 6, 26, 30),
        (b"PK\x01\x02", 8, 28, 46),
    ):
        start = out.find(magic)
        while start != -1:
            length = struct.unpack_from("<H", out, start + name_len_at)[0]
            if bytes(out[start + name_at : start + name_at + length]) == encoded:
                old = struct.unpack_from("<H", out, start + flags_at)[0]
                struct.pack_into("<H", out, start + flags_at, old | flag)
            start = out.find(magic, start + 4)
    return bytes(out)


# --- a minimal OLE compound file (CFB v3, 512-byte sectors) -----------------------------------
FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def _dir_entry(name: str, kind: int, child: int = NOSTREAM, right: int = NOSTREAM) -> bytes:
    encoded = (name + "\0").encode("utf-16-le")
    entry = encoded.ljust(64, b"\0")
    entry += struct.pack("<HBB", len(encoded), kind, 1)
    entry += struct.pack("<III", NOSTREAM, right, child)
    entry += b"\0" * 16 + b"\0" * 4 + b"\0" * 16
    entry += struct.pack("<IQ", END if kind != 2 else 0, 0)
    assert len(entry) == 128
    return entry


def ole(*streams: tuple[str, int]) -> bytes:
    """An OLE file whose directory holds a root entry and the given (name, type) entries."""
    entries = [("Root Entry", 5), *streams]
    n = len(entries)
    directory = b"".join(
        _dir_entry(
            name,
            kind,
            child=1 if i == 0 and n > 1 else NOSTREAM,
            right=i + 1 if 0 < i < n - 1 else NOSTREAM,
        )
        for i, (name, kind) in enumerate(entries)
    )
    dir_sectors = (len(directory) + 511) // 512
    directory = directory.ljust(dir_sectors * 512, b"\0")
    fat = [FATSECT] + [i + 2 for i in range(dir_sectors - 1)] + [END]
    fat_sector = struct.pack(f"<{len(fat)}I", *fat).ljust(512, b"\xff")
    header = office.OLE_MAGIC + b"\0" * 16
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END, 0, END, 0)
    header += struct.pack("<109I", 0, *[FREE] * 108)
    assert len(header) == 512
    return header + fat_sector + directory


WORD_97 = [("WordDocument", 2), ("1Table", 2), ("\x05SummaryInformation", 2)]


def store(content: bytes) -> files.StoredUpload:
    return files.store_upload(io.BytesIO(content))


def refused(content: bytes) -> str:
    before = set(os.listdir(files.storage_dir()))
    with pytest.raises(ValidationFailed) as caught:
        store(content)
    assert set(os.listdir(files.storage_dir())) == before  # no pending file left behind
    return str(caught.value.errors["file"])


# --- accepted -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "content_type"),
    [
        (lambda: ooxml("docx"), f"{OOXML}.wordprocessingml.document"),
        (xlsx, f"{OOXML}.spreadsheetml.sheet"),
        (lambda: ooxml("pptx"), f"{OOXML}.presentationml.presentation"),
        (lambda: ole(*WORD_97), "application/msword"),
    ],
    ids=["docx", "xlsx", "pptx", "doc"],
)
def test_real_office_files_are_accepted_with_the_type_of_their_main_part(app, make, content_type):
    upload = store(make())
    try:
        assert upload.content_type == content_type
        assert len(upload.content_type) <= 128
    finally:
        files.discard_file(upload.stored_name)


# --- macros ---------------------------------------------------------------------------------


def test_a_macro_enabled_document_is_refused(app):
    assert "含宏" in refused(ooxml("docm"))


def test_a_vba_project_part_is_refused_whatever_the_content_types_say(app):
    assert "含宏" in refused(ooxml("docx", extra={"customXml/vbaProject.bin": b"\x00" * 32}))


def test_a_macro_enabled_content_type_alone_is_refused(app):
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            content_types(
                {
                    "word/document.xml": f"{OOXML}.wordprocessingml.document.main+xml",
                    "word/extra.xml": "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                }
            ),
        )
        archive.writestr("word/document.xml", BODY)
    assert "含宏" in refused(package.getvalue())


@pytest.mark.parametrize("storage", ["Macros", "_VBA_PROJECT", "VBA"])
def test_a_doc_with_a_vba_storage_is_refused(app, storage):
    assert "含宏" in refused(ole(*WORD_97, (storage, 1)))


# --- unsafe zips ----------------------------------------------------------------------------


def test_a_zip_bomb_by_ratio_is_refused(app):
    """SECURITY.md row 36 (v5.0.0-5.2.3)."""
    bomb = ooxml("docx", extra={"word/media/zeros.bin": b"\0" * (4 * 1024 * 1024)})
    assert len(bomb) < 64 * 1024
    assert "解压后过大" in refused(bomb)


def test_a_zip_bomb_by_total_size_is_refused(app, monkeypatch):
    """SECURITY.md row 36 (v5.0.0-5.2.3)."""
    monkeypatch.setattr(office, "MAX_UNCOMPRESSED", 64 * 1024)
    big = ooxml("docx", extra={"word/media/noise.bin": os.urandom(100 * 1024)})
    assert "解压后过大" in refused(big)


def test_too_many_entries_are_refused(app):
    many = ooxml("docx", extra={f"word/media/{i}.xml": "<a/>" for i in range(office.MAX_ENTRIES)})
    assert "条目过多" in refused(many)


def test_an_encrypted_entry_is_refused(app):
    assert "加密" in refused(with_flag_on(ooxml("docx"), "word/document.xml", 0x1))


def test_a_password_protected_office_file_is_refused(app):
    assert "加密" in refused(ole(("EncryptionInfo", 2), ("EncryptedPackage", 2)))


@pytest.mark.parametrize(
    "name", ["../evil.xml", "word/../../evil.xml", "/etc/evil.xml", "C:/x.xml"]
)
def test_paths_outside_the_package_are_refused(app, name):
    assert "不安全的路径" in refused(ooxml("docx", extra={name: "<a/>"}))


def test_a_dtd_in_content_types_is_refused(app):
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaa">]><Types xmlns="'
            + CT_NS
            + '"><Default Extension="xml" ContentType="&a;"/></Types>',
        )
        archive.writestr("word/document.xml", BODY)
    assert "已损坏" in refused(package.getvalue())


# --- not an Office file ---------------------------------------------------------------------


def test_a_renamed_zip_is_refused(app):
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("readme.txt", "not a document")
    assert "不是 Word" in refused(package.getvalue())


def test_a_main_part_without_its_content_type_is_refused(app):
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("[Content_Types].xml", content_types({}))
        archive.writestr("word/document.xml", BODY)
    assert "不是 Word" in refused(package.getvalue())


def test_a_truncated_zip_is_refused(app):
    assert "已损坏" in refused(ooxml("docx")[:200])


def test_an_ole_file_that_is_not_word_is_refused(app):
    assert ".docx" in refused(ole(("Workbook", 2)))


def test_a_broken_ole_file_is_refused(app):
    data = bytearray(ole(*WORD_97))
    struct.pack_into("<I", data, 48, 999)  # the directory starts beyond the end of the file
    assert "已损坏" in refused(bytes(data))

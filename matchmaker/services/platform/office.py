"""Office uploads checked by content: OOXML zips (.docx, .xlsx, .pptx) and legacy Word (.doc).

An OOXML file is accepted when it is a safe zip (bounded size, ratio and entry count, no
encrypted entries, no absolute or `..` paths) whose `[Content_Types].xml` names the main part
of a Word document, Excel workbook or PowerPoint presentation; the type comes from that part,
never from the file's name. Anything carrying macros is refused (a `vbaProject.bin` part or a
macro-enabled content type). A legacy `.doc` (an OLE compound file) is accepted when its
directory has a `WordDocument` stream and no VBA storage (`Macros`, `VBA`, `_VBA_PROJECT`).
Every refusal raises ValidationFailed on the `file` field with the reason.
"""

from __future__ import annotations

import re
import struct
import zipfile
from pathlib import Path
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from flask_babel import gettext as _

from matchmaker.services.errors import ValidationFailed

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

#: Bounds of an OOXML zip: uncompressed total, compression ratio (above 1 MiB), entries.
MAX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024
MAX_ENTRIES = 2000
MAX_CONTENT_TYPES_BYTES = 1024 * 1024

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
DOC = "application/msword"

#: Main part -> (the content type it must have, the file's content type, extension).
MAIN_PARTS: dict[str, tuple[str, str, str]] = {
    "/word/document.xml": (f"{DOCX}.main+xml", DOCX, ".docx"),
    "/xl/workbook.xml": (f"{XLSX}.main+xml", XLSX, ".xlsx"),
    "/ppt/presentation.xml": (f"{PPTX}.main+xml", PPTX, ".pptx"),
}
#: Office content types (and the extension a download keeps) that stored files may have.
CONTENT_TYPES = {DOCX: ".docx", XLSX: ".xlsx", PPTX: ".pptx", DOC: ".doc"}

_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_MACRO_TYPE = re.compile(r"macroenabled|vbaproject|vnd\.ms-office\.activex", re.IGNORECASE)
_VBA_STREAMS = {"macros", "vba", "_vba_project", "_vba_project_cur"}


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed({"file": message})


def _macros() -> ValidationFailed:
    return _refuse(_("不接受含宏的 Office 文件，请另存为不含宏的 .docx、.xlsx 或 .pptx 后上传。"))


def _broken() -> ValidationFailed:
    return _refuse(_("该 Office 文件已损坏或格式不正确，无法接受。"))


def _encrypted() -> ValidationFailed:
    return _refuse(_("不接受加密或设有打开密码的 Office 文件，请取消密码后上传。"))


def _not_office() -> ValidationFailed:
    return _refuse(_("这个压缩文件不是 Word（.docx）、Excel（.xlsx）或 PowerPoint（.pptx）文件。"))


def identify(path: Path, head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of an Office file, None if it is neither a zip nor OLE file.

    Raises ValidationFailed when it is a zip or OLE file that is not an acceptable Office file.
    """
    if head.startswith(ZIP_MAGIC):
        return check_ooxml(path)
    if head.startswith(OLE_MAGIC):
        return check_doc(path)
    return None


# --- OOXML ------------------------------------------------------------------------------------


def _unsafe_path(name: str) -> bool:
    name = name.replace("\\", "/")
    return (
        name.startswith("/")
        or re.match(r"^[A-Za-z]:", name) is not None
        or ".." in name.split("/")
        or "\x00" in name
    )


def _check_entries(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_ENTRIES:
        raise _refuse(_("该 Office 文件包含的条目过多，无法接受。"))
    total = compressed = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise _encrypted()
        if _unsafe_path(info.filename):
            raise _refuse(_("该 Office 文件包含不安全的路径，无法接受。"))
        if "vbaproject" in info.filename.rsplit("/", 1)[-1].lower():
            raise _macros()
        total += info.file_size
        compressed += info.compress_size
    too_big = _("该 Office 文件解压后过大（超过 %(mb)d MB），无法接受。", mb=MAX_UNCOMPRESSED >> 20)
    if total > MAX_UNCOMPRESSED:
        raise _refuse(too_big)
    if total > RATIO_FLOOR and total > MAX_RATIO * max(compressed, 1):
        raise _refuse(too_big)


def _content_types(archive: zipfile.ZipFile) -> dict[str, str]:
    """Part name (lower case, with the leading /) -> content type, from [Content_Types].xml.

    Defaults by extension are under the key `*.<ext>`.
    """
    try:
        with archive.open("[Content_Types].xml") as stream:
            data = stream.read(MAX_CONTENT_TYPES_BYTES + 1)
    except KeyError:
        raise _not_office() from None
    if len(data) > MAX_CONTENT_TYPES_BYTES:
        raise _broken()
    root = fromstring(data, forbid_dtd=True)
    types: dict[str, str] = {}
    for element in root:
        content_type = element.get("ContentType", "")
        if element.tag == f"{_CT_NS}Override":
            types[element.get("PartName", "").lower()] = content_type
        elif element.tag == f"{_CT_NS}Default":
            types["*." + element.get("Extension", "").lower()] = content_type
    return types


def check_ooxml(path: Path) -> tuple[str, str]:
    """(content type, extension) of a safe, macro-free .docx, .xlsx or .pptx, else refused."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _check_entries(infos)
            names = {"/" + info.filename.replace("\\", "/").lower() for info in infos}
            types = _content_types(archive)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        ParseError,
        DefusedXmlException,
        EOFError,
        OSError,
    ):
        raise _broken() from None
    except RuntimeError:  # zipfile: "File ... is encrypted, password required"
        raise _encrypted() from None
    except NotImplementedError:  # an unsupported compression method
        raise _broken() from None
    if any(_MACRO_TYPE.search(content_type) for content_type in types.values()):
        raise _macros()
    for part, (main_type, content_type, ext) in MAIN_PARTS.items():
        if part in names and types.get(part) == main_type:
            return content_type, ext
    raise _not_office()


# --- legacy Word (OLE compound file) ----------------------------------------------------------

_FREE, _END_OF_CHAIN = 0xFFFFFFFF, 0xFFFFFFFE


def _chain(fat: list[int], start: int, limit: int) -> list[int]:
    """The sectors of a FAT chain from `start`; refused when it loops or leaves the file."""
    sectors: list[int] = []
    seen: set[int] = set()
    sector = start
    while sector != _END_OF_CHAIN:
        if sector >= limit or sector >= len(fat) or sector in seen:
            raise _broken()
        seen.add(sector)
        sectors.append(sector)
        sector = fat[sector]
    return sectors


def ole_directory_names(data: bytes) -> dict[str, int]:
    """Every directory entry of an OLE compound file: name -> entry type (1 storage, 2 stream).

    Raises ValidationFailed when the structure is broken.
    """
    if len(data) < 512 or not data.startswith(OLE_MAGIC):
        raise _broken()
    shift = struct.unpack_from("<H", data, 30)[0]
    if shift not in (9, 12):
        raise _broken()
    size = 1 << shift
    n_sectors = (len(data) - 1) // size  # the header takes the first sector's place

    def sector(sid: int) -> bytes:
        start = (sid + 1) * size
        chunk = data[start : start + size]
        if len(chunk) < size:
            chunk += b"\x00" * (size - len(chunk))
        return chunk

    n_fat, first_dir = struct.unpack_from("<II", data, 44)
    first_difat, n_difat = struct.unpack_from("<II", data, 68)
    fat_sectors = [s for s in struct.unpack_from("<109I", data, 76) if s != _FREE]
    per_sector = size // 4
    if n_difat > n_sectors or n_fat > n_sectors:
        raise _broken()
    difat = first_difat
    for _i in range(n_difat):
        if difat >= n_sectors:
            raise _broken()
        entries = struct.unpack(f"<{per_sector}I", sector(difat))
        fat_sectors += [s for s in entries[:-1] if s != _FREE]
        difat = entries[-1]
    fat_sectors = fat_sectors[:n_fat]
    if len(fat_sectors) < n_fat or any(s >= n_sectors for s in fat_sectors):
        raise _broken()
    fat: list[int] = []
    for sid in fat_sectors:
        fat += struct.unpack(f"<{per_sector}I", sector(sid))
    names: dict[str, int] = {}
    for sid in _chain(fat, first_dir, n_sectors):
        block = sector(sid)
        for offset in range(0, size, 128):
            entry = block[offset : offset + 128]
            length, kind = struct.unpack_from("<HB", entry, 64)
            if kind == 0:
                continue
            if length > 64 or length % 2:
                raise _broken()
            name = entry[: max(length - 2, 0)].decode("utf-16-le", errors="replace")
            names[name] = kind
    return names


def check_doc(path: Path) -> tuple[str, str]:
    """("application/msword", ".doc") for a macro-free Word 97–2003 file, else refused."""
    names = ole_directory_names(path.read_bytes())
    lowered = {name.lower() for name in names}
    if lowered & _VBA_STREAMS:
        raise _macros()
    if {"encryptedpackage", "encryptioninfo"} & lowered:
        raise _encrypted()
    if names.get("WordDocument") != 2:
        raise _refuse(
            _("旧版 Office 文件只接受 Word（.doc）；请另存为 .docx、.xlsx 或 .pptx 后上传。")
        )
    return DOC, ".doc"

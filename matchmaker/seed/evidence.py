"""A placeholder licence scan for demo organisations (their names and codes are made up too)."""

from __future__ import annotations

import io

from matchmaker.services.accounts.evidence import DocumentUpload

_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def demo_scan(kind: str) -> DocumentUpload:
    """A blank one-page PDF standing in for the 营业执照 / 法人证书 scan of a demo organisation."""
    name = "营业执照（演示）.pdf" if kind in ("enterprise", "bank") else "法人证书（演示）.pdf"
    return DocumentUpload(stream=io.BytesIO(_PDF), filename=name)

"""The evidence an organisation registers with: its 营业执照 or 事业单位法人证书 scan."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, intpk
from matchmaker.models.stored_file import StoredFile

if TYPE_CHECKING:
    from matchmaker.models.organisation import Organisation


class OrganisationDocument(StoredFile, Base):
    """The current licence or certificate scan (PDF, JPEG or PNG) of one organisation.

    Never public: only admins and the organisation's own members may open it.
    """

    __tablename__ = "organisation_documents"

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"),
        unique=True,
        info={"pii": "none"},
    )

    organisation: Mapped[Organisation] = relationship(back_populates="document")

    @property
    def is_image(self) -> bool:
        """Whether the scan can be shown inline as an image."""
        return self.content_type.startswith("image/")

    def __repr__(self) -> str:
        return f"<OrganisationDocument {self.id} {self.content_type}>"

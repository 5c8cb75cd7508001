"""Checking the rows of an expert-profile import: cell shapes, then the experts service's rules.

Results are linked by their exact title or id among the organisation's own results (never
retyped), patents are a comma list, offers one 是/否 column each, and the researcher's account is
named by its e-mail (it must be a member of the organisation). The same person twice in one file
(name and unit, or account) is refused like a duplicate of a stored profile.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import Result, User
from matchmaker.services.market.excel.checking import CheckedRow, RowChecker, parse_cells
from matchmaker.services.market.excel.columns import OFFER_COLUMNS
from matchmaker.services.market.excel.reading import RawRow
from matchmaker.services.talent import experts

_SPLIT = re.compile(r"[\n,，;；、]+")
_PATENT_SPLIT = re.compile(r"[\n,，;；]+")
#: Where the experts service's error keys land in the sheet.
SERVICE_COLUMN = {
    "field_id": "field",
    "result_ids": "results",
    "offers": OFFER_COLUMNS[0][0],
    "user_id": "account_email",
}


class ExpertRowChecker(RowChecker):
    """Checks the rows of one organisation's expert import."""

    def __init__(self, organisation_id: int) -> None:
        super().__init__("expert")
        self.organisation_id = organisation_id
        self.results_by_title: dict[str, int] = {}
        self.result_ids: set[int] = set()
        for result in db.session.scalars(
            sa.select(Result).where(Result.organisation_id == organisation_id)
        ):
            self.result_ids.add(result.id)
            self.results_by_title.setdefault(result.title.strip().casefold(), result.id)
        self.seen_people: dict[tuple[str, str], int] = {}
        self.seen_accounts: dict[int, int] = {}

    def check(self, raw: RawRow) -> CheckedRow:
        """Parse and validate one row; errors are keyed by column."""
        values, errors, shown = parse_cells(self.columns, raw, self._parse)
        result_ids = self._results(values.get("results") or "", errors)
        user_id = self._account(values.get("account_email") or "", errors)
        data = experts.ExpertData(
            name=values.get("name") or "",
            title=values.get("title") or "",
            unit=values.get("unit") or "",
            field_id=values.get("field"),
            directions=values.get("directions") or "",
            keywords=values.get("keywords") or "",
            biography=values.get("biography") or "",
            patents=[p.strip() for p in _PATENT_SPLIT.split(values.get("patents") or "")],
            offers=sum(int(bit) for key, bit, _label in OFFER_COLUMNS if values.get(key)),
            availability=values.get("availability") or "",
            contact_phone=values.get("contact_phone") or "",
            contact_email=values.get("contact_email") or "",
            contact_public=bool(values.get("contact_public")),
            result_ids=result_ids,
            user_id=user_id,
        )
        for name, messages in experts.check_expert(
            data, organisation_id=self.organisation_id
        ).items():
            errors.setdefault(SERVICE_COLUMN.get(name, name), messages)
        self._same_file(raw.number, data, errors)
        return CheckedRow(raw.number, shown, None if errors else data, errors)

    def _results(self, text: str, errors: dict[str, list[str]]) -> list[int]:
        ids: list[int] = []
        unknown: list[str] = []
        for item in (i.strip() for i in _SPLIT.split(text)):
            if not item:
                continue
            found = self.results_by_title.get(item.casefold())
            if found is None and item.lstrip("#").isdigit():
                number = int(item.lstrip("#"))
                found = number if number in self.result_ids else None
            if found is None:
                unknown.append(item)
            else:
                ids.append(found)
        if unknown:
            errors.setdefault("results", []).append(
                _(
                    "本机构没有这些成果：%(items)s。请填写成果的完整标题或编号。",
                    items="、".join(unknown),
                )
            )
        return ids

    def _account(self, email: str, errors: dict[str, list[str]]) -> int | None:
        if not email or "account_email" in errors:
            return None
        user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.lower()))
        if user is None or user.organisation_id != self.organisation_id:
            errors.setdefault("account_email", []).append(_("该研究人员不是本机构成员。"))
            return None
        return user.id

    def _same_file(
        self, number: int, data: experts.ExpertData, errors: dict[str, list[str]]
    ) -> None:
        if data.name and data.unit:
            person = (data.name, data.unit)
            first = self.seen_people.setdefault(person, number)
            if first != number:
                errors.setdefault("name", []).append(
                    _("与第 %(row)d 行是同一位专家（姓名和院系相同）。", row=first)
                )
        if data.user_id is not None:
            first = self.seen_accounts.setdefault(data.user_id, number)
            if first != number:
                errors.setdefault("account_email", []).append(
                    _("与第 %(row)d 行是同一个账号。", row=first)
                )

"""The city's targets, edited by the admin: every metric and year with the seed's default and
an input to set the year's target over it (blank: the default applies)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.permissions import Permission
from matchmaker.services.bureau import targets
from matchmaker.services.errors import ValidationFailed
from matchmaker.services.platform import uow
from matchmaker.web.bureau.blueprint import bp
from matchmaker.web.bureau.forms import TargetsForm, targets_form
from matchmaker.web.policy import permission_required


def _years(code: str) -> list[int]:
    """The plan's years and any other year the admin has set, in order."""
    return sorted(set(targets.PLAN_YEARS) | set(targets.targets_for(code)))


def _plain(value: Decimal | None) -> str:
    """A number as typed: 350, 173000, 12.5."""
    return "" if value is None else format(value.normalize(), "f")


def _count(value: Decimal | None) -> str:
    """A count as read: 1,350 (decimals only when there are some)."""
    if value is None:
        return "—"
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def _rows() -> list[dict[str, Any]]:
    """Per metric: its label, unit, source and, per year, the default, the target that applies
    and whether the admin set it."""
    out = []
    for code, metric in targets.METRICS.items():
        current = targets.targets_for(code)
        mine = targets.overridden_years(code)
        out.append(
            {
                "code": code,
                "label": str(metric.label),
                "unit": str(targets.UNIT_LABELS[metric.unit]),
                "money": metric.unit == "wan",
                "source": str(metric.source),
                "years": [
                    {
                        "year": year,
                        "key": f"{code}-{year}",
                        "default": metric.default.get(year),
                        "current": current.get(year),
                        "overridden": year in mine,
                        "default_text": _count(metric.default.get(year)),
                        "current_text": _count(current.get(year)),
                        "placeholder": _plain(metric.default.get(year)),
                    }
                    for year in _years(code)
                ],
            }
        )
    return out


def _form(rows: list[dict[str, Any]], *, submitted: bool) -> TargetsForm:
    labels = {
        y["key"]: _("%(metric)s %(year)d 年目标", metric=row["label"], year=y["year"])
        for row in rows
        for y in row["years"]
    }
    data = {y["key"]: y["current"] for row in rows for y in row["years"] if y["overridden"]}
    return targets_form(labels, data=data, submitted=submitted)


def _save(form: TargetsForm, rows: list[dict[str, Any]]) -> int | None:
    """Set the changed targets, clear the emptied ones; the number changed, or None when the
    service refused one (its message beside the field, nothing stored)."""
    changed = 0
    for row in rows:
        for y in row["years"]:
            field = form[y["key"]]
            value: Decimal | None = field.data
            try:
                if value is None and y["overridden"]:
                    targets.clear_target(actor=current_user, metric=row["code"], year=y["year"])
                elif value is not None and (not y["overridden"] or value != y["current"]):
                    targets.set_target(
                        actor=current_user, metric=row["code"], year=y["year"], value=value
                    )
                else:
                    continue
            except ValidationFailed as error:
                uow.discard()
                field.errors = [*field.errors, *(m for ms in error.errors.values() for m in ms)]
                return None
            changed += 1
    return changed


@bp.route("/targets", methods=["GET", "POST"], endpoint="targets")
@permission_required(Permission.TARGETS_EDIT)
def targets_page() -> Response | str | tuple[str, int]:
    """Every metric x year: the default, the target that applies, an input to override it."""
    rows = _rows()
    form = _form(rows, submitted=True)
    if form.validate_on_submit():
        changed = _save(form, rows)
        if changed is not None:
            if changed:
                flash(_("已保存 %(count)d 项年度目标。", count=changed), "success")
            else:
                flash(_("没有修改任何目标。"), "info")
            return redirect(url_for("bureau.targets"))
    elif not form.is_submitted():
        form = _form(rows, submitted=False)
    html = render_template("bureau/targets.html", form=form, rows=rows)
    return (html, 400) if form.errors else html

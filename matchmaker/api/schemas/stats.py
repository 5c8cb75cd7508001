"""Schemas of the statistics area's API operations: the bureau's figures with their filters and
drill-downs (`stats` scope), and the public open data."""

from __future__ import annotations

from typing import get_args

import marshmallow as ma
from marshmallow import fields, validate

from matchmaker.api.schemas import PageQuerySchema, PageSchema
from matchmaker.api.schemas.numbers import Int
from matchmaker.models import OrgKind
from matchmaker.services.bureau.figures import ColumnKind
from matchmaker.services.platform.regions import REGIONS

#: One drill-down parameter: `key:value` (the key as a figure's drill names it).
DRILL_PATTERN = r"^[a-z][a-z0-9_]{0,31}:[^\x00]{0,64}$"
MAX_DRILL = 10


class FigureQuerySchema(ma.Schema):
    """The dashboard's filters (China days, inclusive); without start and end: this year."""

    class Meta:
        unknown = ma.RAISE

    start = fields.Date(
        load_default=None, metadata={"description": "First day (YYYY-MM-DD); default 1 January."}
    )
    end = fields.Date(load_default=None, metadata={"description": "Last day; default today."})
    field = Int(
        load_default=None,
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "A technology field id (GET /results facets, field_id)."},
    )
    region = fields.Str(
        load_default=None,
        validate=validate.OneOf(list(REGIONS)),
        metadata={"description": "A region code."},
    )
    org_kind = fields.Str(
        load_default=None,
        validate=validate.OneOf([str(k) for k in OrgKind]),
        metadata={"description": "The listing owner's or party's kind of organisation."},
    )


class RecordQuerySchema(FigureQuerySchema, PageQuerySchema):
    """The filters, the cell (`drill=key:value`, repeated) and the page."""

    class Meta:
        unknown = ma.RAISE

    drill = fields.List(
        fields.Str(validate=validate.Regexp(DRILL_PATTERN)),
        load_default=list,
        validate=validate.Length(max=MAX_DRILL),
        metadata={
            "description": "The cell's drill-down parameters as key:value, repeated "
            "(drill=kind:result&drill=month:2026-03): what the figure's `drill` gives "
            "for the cell. None: every record behind the figure."
        },
    )


class FigureRefSchema(ma.Schema):
    """A figure of the dashboard: its name and title."""

    name = fields.Str(required=True)
    title = fields.Str(required=True, metadata={"description": "In the caller's language."})


class FigureListSchema(ma.Schema):
    """Every figure, in the dashboard's order."""

    items = fields.List(fields.Nested(FigureRefSchema), required=True)


class FigureColumnSchema(ma.Schema):
    """One column of a figure's table."""

    key = fields.Str(required=True)
    label = fields.Str(required=True)
    kind = fields.Str(
        required=True,
        validate=validate.OneOf(get_args(ColumnKind)),
        metadata={
            "description": "money: 万元 as a decimal string; percent: a fraction (0.25 is 25 %); "
            "days, hours: numbers, null when nothing was measured."
        },
    )


class FigureSchema(ma.Schema):
    """One figure: the rows its chart draws and its table shows."""

    name = fields.Str(required=True)
    title = fields.Str(required=True)
    chart = fields.Str(required=True)
    x = fields.Str(required=True, metadata={"description": "The column along the x axis."})
    series = fields.List(fields.Str(), required=True)
    columns = fields.List(fields.Nested(FigureColumnSchema), required=True)
    rows = fields.List(
        fields.Dict(keys=fields.Str(), values=fields.Raw(allow_none=True)),
        required=True,
        metadata={"description": "One object per row, keyed by the columns' keys."},
    )
    drill = fields.List(
        fields.Dict(keys=fields.Str(), values=fields.Dict(keys=fields.Str(), values=fields.Str())),
        required=True,
        metadata={
            "description": "Per row, per column key: the drill-down parameters of that cell "
            "(pass each as drill=key:value to /records)."
        },
    )
    note = fields.Str(required=True)
    filters = fields.Dict(keys=fields.Str(), values=fields.Str(), required=True)


class FigureRecordSchema(ma.Schema):
    """One record behind a figure's cell."""

    kind = fields.Str(required=True)
    id = Int(required=True)
    title = fields.Str(required=True)
    url = fields.Str(
        required=True,
        metadata={
            "description": "Its page on the platform (for enquiries, applications, deals and "
            "leads, a page only their parties open)."
        },
    )
    organisation = fields.Str(required=True)
    day = fields.Date(required=True, allow_none=True)
    state = fields.Str(required=True)
    amount_wan = fields.Decimal(
        required=True, allow_none=True, as_string=True, places=2, metadata={"description": "万元."}
    )


class FigureRecordPageSchema(PageSchema):
    """The records behind one cell of a figure."""

    figure = fields.Str(required=True)
    filters = fields.Dict(keys=fields.Str(), values=fields.Str(), required=True)
    drill = fields.Dict(keys=fields.Str(), values=fields.Str(), required=True)
    items = fields.List(fields.Nested(FigureRecordSchema), required=True)


class OpenDataColumnSchema(ma.Schema):
    """One column of a public dataset (its CSV header is the key)."""

    key = fields.Str(required=True)
    label = fields.Str(required=True)
    kind = fields.Str(
        required=True,
        validate=validate.OneOf(("text", "month", "count", "private_count", "money")),
        metadata={
            "description": 'private_count: 1 and 2 are published as the string "<3"; '
            "money: 万元 as a decimal string, null where suppressed."
        },
    )
    description = fields.Str(required=True)


class OpenDatasetSchema(ma.Schema):
    """One public dataset with its rows (already suppressed)."""

    name = fields.Str(required=True)
    title = fields.Str(required=True)
    description = fields.Str(required=True)
    note = fields.Str(required=True)
    csv_url = fields.Str(required=True)
    columns = fields.List(fields.Nested(OpenDataColumnSchema), required=True)
    rows = fields.List(
        fields.Dict(keys=fields.Str(), values=fields.Raw(allow_none=True)), required=True
    )


class OpenDataSchema(ma.Schema):
    """The public statistics (开放数据): aggregate counts only, under CC BY 4.0."""

    licence = fields.Str(required=True)
    licence_url = fields.Str(required=True)
    all_csv_url = fields.Str(required=True)
    small_count = fields.Str(
        required=True, metadata={"description": "How a private count of 1 or 2 is published."}
    )
    min_deals_for_turnover = Int(required=True)
    datasets = fields.List(fields.Nested(OpenDatasetSchema), required=True)

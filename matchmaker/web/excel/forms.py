"""The upload form of a bulk import (shape only; the excel service reads and checks the file)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired


class ImportForm(FlaskForm):
    """A filled template (.xlsx) or a CSV file with the same columns."""

    file = FileField(
        _l("文件"),
        validators=[
            FileRequired(_l("请选择文件。")),
            FileAllowed(["xlsx", "csv"], _l("请上传 .xlsx 或 .csv 文件。")),
        ],
        description=_l("使用下载的模板填写，每行一条；全部行都正确才会导入，导入后为草稿。"),
    )

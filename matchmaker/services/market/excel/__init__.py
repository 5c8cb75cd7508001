"""Excel in and out: templates, bulk import of drafts (all or nothing), annotated reports, exports.

Expert profiles import through the same machinery (kind "expert", rows checked by
expert_rows.py against the importing organisation).

columns (the template columns, cell helpers) → reading (hostile files refused, raw rows) →
checking (every row checked) → importing (drafts, the "excel.import" job); storage keeps
uploads and reports in the application's storage (any host reads them); workbooks writes
templates and error reports; export writes the public lists. Callers use the names
re-exported here.
"""

from matchmaker.services.market.excel.checking import (
    PROGRESS_EVERY,
    CheckedRow,
    ImportReport,
    Problem,
    RowChecker,
    check_table,
    checker_for,
)
from matchmaker.services.market.excel.columns import (
    COLUMNS,
    EXPERT_COLUMNS,
    KINDS,
    MAX_CELL_CHARS,
    NEED_COLUMNS,
    RESULT_COLUMNS,
    Column,
    ImportRefused,
    neutralise,
)
from matchmaker.services.market.excel.export import (
    EXPORT_MAX_ROWS,
    export_csv,
    export_rows,
    export_xlsx,
)
from matchmaker.services.market.excel.importing import (
    create_drafts,
    import_file,
    import_upload,
    importing_member,
)
from matchmaker.services.market.excel.reading import (
    MAX_COLUMNS,
    MAX_UNCOMPRESSED_BYTES,
    MAX_ZIP_ENTRIES,
    OLE_MAGIC,
    RawRow,
    Table,
    check_upload,
    read_table,
)
from matchmaker.services.market.excel.storage import (
    read_upload,
    remove_upload,
    report_content,
    save_report,
    store_upload,
    stored_upload,
)
from matchmaker.services.market.excel.workbooks import annotated_workbook, build_template

__all__ = [
    "COLUMNS",
    "EXPERT_COLUMNS",
    "EXPORT_MAX_ROWS",
    "KINDS",
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "MAX_UNCOMPRESSED_BYTES",
    "MAX_ZIP_ENTRIES",
    "NEED_COLUMNS",
    "OLE_MAGIC",
    "PROGRESS_EVERY",
    "RESULT_COLUMNS",
    "CheckedRow",
    "Column",
    "ImportRefused",
    "ImportReport",
    "Problem",
    "RawRow",
    "RowChecker",
    "Table",
    "annotated_workbook",
    "build_template",
    "check_table",
    "checker_for",
    "check_upload",
    "create_drafts",
    "export_csv",
    "export_rows",
    "export_xlsx",
    "import_file",
    "import_upload",
    "importing_member",
    "neutralise",
    "read_table",
    "read_upload",
    "remove_upload",
    "report_content",
    "save_report",
    "store_upload",
    "stored_upload",
]

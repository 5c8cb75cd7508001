"""The admin blueprint."""

from matchmaker.web.admin import files_views  # noqa: F401  (待检文件: adds its routes to bp)

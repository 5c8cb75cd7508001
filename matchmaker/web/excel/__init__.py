"""The excel blueprint: templates, bulk import and exports of listings."""

"""Platform services every domain uses: the unit of work, audit log, job queue, mail outbox,
notifications, and reference data (regions, the field taxonomy, figures for dashboards)."""

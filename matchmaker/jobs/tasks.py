"""The handlers: each calls one service and commits."""

from __future__ import annotations

from typing import Any

from matchmaker.extensions import db
from matchmaker.models import Job
from matchmaker.services import excel, jobs, listings, matching


@jobs.handler("recommender.rebuild")
def rebuild_recommender(job: Job) -> dict[str, Any]:
    """Fit a new index generation (every worker swaps it in on its next check)."""

    def progress(done: int, total: int) -> None:
        if total and (done == total or done % 500 == 0):
            jobs.set_progress(job, 0.8 * done / total, f"{done}/{total}")

    state = matching.rebuild_index(progress=progress)
    db.session.commit()
    return {
        "generation": state.generation,
        "documents": state.documents,
        "seconds": state.build_seconds,
    }


@jobs.handler("listings.expire")
def expire_listings(job: Job) -> dict[str, Any]:
    """Remind and expire listings (also run from cron)."""
    counts = listings.expire_listings()
    db.session.commit()
    return counts


@jobs.handler("excel.import")
def import_listings(
    job: Job, *, user_id: int, kind: str, path: str, filename: str = "", locale: str | None = None
) -> dict[str, Any]:
    """Bulk import of an uploaded workbook: every row checked, drafts all in one commit or none.

    The stored upload is removed when the job is finished (kept for a retry after a crash).
    """
    last_attempt = job.attempts >= job.max_attempts
    try:
        result = excel.import_upload(
            user_id=user_id,
            kind=kind,
            path=path,
            locale=locale,
            progress=lambda fraction, message: jobs.set_progress(job, fraction, message),
        )
        db.session.commit()
    except Exception:
        if last_attempt:
            excel.remove_upload(path)
        raise
    excel.remove_upload(path)
    return {**result, "filename": filename}


@jobs.handler("finance.rescore")
def rescore_firms(job: Job, *, all_profiles: bool = False) -> dict[str, Any]:
    """Recompute the stale 创新积分 (queued when an admin changes the formula)."""
    from matchmaker.services import innovation_score  # noqa: PLC0415  (科技金融, issue 6)

    count = innovation_score.rescore(all_profiles=all_profiles)
    db.session.commit()
    return {"rescored": count}

"""The handlers: each calls one service; the runner commits the job as one unit of work."""

from __future__ import annotations

from typing import Any

from matchmaker.models import Job
from matchmaker.services import matching
from matchmaker.services.market import excel, listings
from matchmaker.services.platform import jobs, mail, uow
from matchmaker.services.talent import expert_review


@jobs.handler(matching.REBUILD_JOB)
def rebuild_recommender(job: Job, *, auto: bool = False) -> dict[str, Any]:
    """Fit a new index generation (every worker swaps it in on its next check).

    An automatic rebuild (queued by matching.queue_rebuild_if_stale) is skipped when another
    rebuild has made the index fresh since it was queued; an admin's always runs.
    """
    if auto and not matching.index_is_stale():
        return {"skipped": "fresh"}

    def progress(done: int, total: int) -> None:
        if total and (done == total or done % 500 == 0):
            jobs.set_progress(job, 0.8 * done / total, f"{done}/{total}")

    state = matching.rebuild_index(progress=progress)
    return {
        "generation": state.generation,
        "documents": state.documents,
        "seconds": state.build_seconds,
    }


@jobs.handler(mail.JOB_NAME)
def send_mail(
    job: Job, *, to: list[str], subject: str, body: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """Deliver one queued e-mail (the outbox); a refused delivery raises and is retried."""
    sent = mail.deliver(to=to, subject=subject, body=body, headers=headers)
    # The body may carry a reset or invitation link: keep only who and what once it is out.
    job.args = {"to": to, "subject": subject}
    return {"sent": sent, "recipients": len(to)}


@jobs.handler("listings.expire")
def expire_listings(job: Job) -> dict[str, Any]:
    """Remind and expire listings and expert profiles (also run from cron)."""
    counts = listings.expire_listings()
    counts["experts_expired"] = expert_review.expire_experts()
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
    except Exception:
        if last_attempt:
            excel.remove_upload(path)
        raise
    uow.after_commit(lambda: excel.remove_upload(path))
    return {**result, "filename": filename}


@jobs.handler("finance.rescore")
def rescore_firms(job: Job, *, all_profiles: bool = False) -> dict[str, Any]:
    """Recompute the stale 创新积分 (queued when an admin changes the formula)."""
    from matchmaker.services.finance import innovation_score  # noqa: PLC0415

    count = innovation_score.rescore(all_profiles=all_profiles)
    return {"rescored": count}


# --- the periodic jobs (services/platform/scheduler.py enqueues them; cron is not needed) -----
@jobs.handler("challenges.tick")
def tick_challenges(job: Job) -> dict[str, Any]:
    """Open and close challenges whose dates have come (`matchmaker challenges tick`)."""
    from matchmaker.services.challenges.challenges import tick  # noqa: PLC0415

    return dict(tick())


@jobs.handler("alerts.send")
def send_alerts(job: Job, *, frequency: str = "all") -> dict[str, Any]:
    """Queue every due digest of new matches (`matchmaker alerts send`): each match once."""
    from flask import current_app  # noqa: PLC0415

    from matchmaker.cli.alerts import alert_links  # noqa: PLC0415
    from matchmaker.services.market.alert_digests import send_due  # noqa: PLC0415

    # the links are on PUBLIC_URL, which production cannot start without (services/platform/links)
    with current_app.test_request_context():
        return dict(send_due(links=alert_links(), frequency=frequency))


@jobs.handler("connect.remind")
def remind_enquiries(job: Job) -> dict[str, Any]:
    """Remind the receivers of unanswered 对接 enquiries (`matchmaker connect remind`)."""
    from matchmaker.services.connect.enquiries import remind_unanswered  # noqa: PLC0415

    return {"reminded": remind_unanswered()}


@jobs.handler("finance.remind")
def remind_consents(job: Job) -> dict[str, Any]:
    """Remind firms whose data-sharing consent expires soon (`matchmaker finance remind`)."""
    from matchmaker.services.finance import firm_profiles  # noqa: PLC0415

    return {"reminded": firm_profiles.remind_expiring_consents()}


@jobs.handler("recommender.rebuild_if_stale")
def rebuild_recommender_if_stale(job: Job) -> dict[str, Any]:
    """Queue one automatic index rebuild when enough has been published since the last fit."""
    rebuild = matching.queue_rebuild_if_stale()
    return {"queued": rebuild.id if rebuild is not None else None}

"""Index freshness: enough new listings queue one rebuild, which refits the vocabulary."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import matchmaker.jobs  # noqa: F401 - registers the job handlers
from matchmaker.extensions import db
from matchmaker.models import Job, JobStatus
from matchmaker.services import matching
from matchmaker.services.platform import jobs
from tests.factories import make_user, publish_need, publish_result

#: Ten results on one theme: the vocabulary knows nothing of perovskite solar cells.
BASE = [
    ("碳纤维热压成型工艺", "碳纤维复合材料热压成型新工艺，拉伸强度3.5GPa，成本降低30%。"),
    ("碳纤维模压工艺", "碳纤维复合材料模压成型工艺，适合批量生产汽车部件。"),
    ("稀土发光材料", "一种稀土掺杂的高效发光材料，用于白光照明。"),
    ("高强铝合金铸造", "高强度铝合金低压铸造工艺，用于汽车轮毂，减重明显。"),
    ("玉米秸秆饲料", "玉米秸秆青贮发酵饲料技术，提高肉牛日增重。"),
    ("人参组培快繁", "人参组织培养快速繁殖技术，缩短育苗周期。"),
    ("中药材干燥设备", "中药材低温热泵干燥设备，保持有效成分。"),
    ("汽车线束检测", "汽车线束导通自动检测系统，提高检测效率。"),
    ("污水生物处理", "农村生活污水一体化生物处理设备，出水达标。"),
    ("大豆蛋白提取", "大豆分离蛋白低温提取工艺，提高蛋白得率。"),
]
NEW_NEED = (
    "钙钛矿光伏组件",
    "寻求钙钛矿叠层光伏组件封装技术，提升钙钛矿组件湿热稳定性。",
)
NEW_RESULT = (
    "钙钛矿叠层光伏封装",
    "钙钛矿叠层光伏组件封装技术，钙钛矿组件湿热稳定性显著提升。",
)


@pytest.fixture
def people(db, fields):
    uni = make_user("university")
    firm = make_user("enterprise")
    admin = make_user("admin")
    db.session.commit()
    return uni, firm, admin


def _rebuild_jobs() -> list[Job]:
    return list(db.session.scalars(sa.select(Job).where(Job.name == matching.REBUILD_JOB)))


def _fitted_platform(people, fields) -> None:
    """BASE published and fitted (no rebuild job left over), every worker on that fit."""
    uni, _firm, admin = people
    for title, summary in BASE:
        publish_result(uni, admin, fields, title, summary)
    db.session.execute(sa.delete(Job))
    matching.rebuild_index()
    db.session.commit()
    matching.engine()


def test_threshold_is_a_tenth_of_the_fitted_documents_at_least_one():
    assert matching.rebuild_threshold(0) == 1
    assert matching.rebuild_threshold(5) == 1
    assert matching.rebuild_threshold(10) == 1
    assert matching.rebuild_threshold(11) == 2
    assert matching.rebuild_threshold(500) == 50


def test_enough_new_listings_queue_one_rebuild_that_makes_new_words_matchable(app, people, fields):
    uni, firm, admin = people
    _fitted_platform(people, fields)
    base = make_user("university")
    db.session.commit()
    # 10 fitted: the threshold is 1 listing; publish more than that, all with new words.
    need = publish_need(firm, admin, fields, *NEW_NEED)
    result = publish_result(uni, admin, fields, *NEW_RESULT)
    publish_result(base, admin, fields, "钙钛矿薄膜制备", "钙钛矿薄膜溶液法制备工艺。")
    # Frozen vocabulary: the shared words are unknown, so nothing matches yet.
    assert matching.recommend_for(need) == []
    queued = _rebuild_jobs()
    assert len(queued) == 1
    assert queued[0].status == JobStatus.QUEUED
    assert queued[0].args == {"auto": True}

    assert jobs.run_pending(names=[matching.REBUILD_JOB]) == 1
    done = db.session.get(Job, queued[0].id)
    assert done.status == JobStatus.DONE and done.result["documents"] == len(BASE) + 3
    recs = matching.recommend_for(need)
    assert [r.publication.result_id for r in recs][:1] == [result.id]
    assert any("钙钛矿" in term for term in recs[0].match.terms)
    assert not matching.index_is_stale()


def test_no_rebuild_below_the_threshold(app, people, fields):
    uni, firm, admin = people
    _fitted_platform(people, fields)
    # Twenty fitted documents: the threshold is two; one new listing stays below it.
    for title, summary in BASE:
        publish_result(uni, admin, fields, title + "二期", summary)
    db.session.execute(sa.delete(Job))
    matching.rebuild_index()
    db.session.commit()
    assert matching.rebuild_threshold(20) == 2
    publish_need(firm, admin, fields, *NEW_NEED)
    assert _rebuild_jobs() == []
    assert not matching.index_is_stale()
    # A second one reaches it.
    publish_result(uni, admin, fields, *NEW_RESULT)
    assert len(_rebuild_jobs()) == 1


def test_no_second_job_while_one_is_queued_or_running(app, people, fields):
    uni, firm, admin = people
    _fitted_platform(people, fields)
    for i in range(5):
        publish_result(uni, admin, fields, f"钙钛矿组件{i}号", "钙钛矿叠层光伏组件封装技术。")
    (job,) = _rebuild_jobs()
    job.status = JobStatus.RUNNING
    db.session.commit()
    publish_need(firm, admin, fields, *NEW_NEED)
    assert [j.id for j in _rebuild_jobs()] == [job.id]
    # Once it has finished, the next stale publication queues a new one.
    job.status = JobStatus.DONE
    db.session.commit()
    publish_result(uni, admin, fields, *NEW_RESULT)
    assert len(_rebuild_jobs()) == 2


def test_first_publication_on_an_empty_platform_is_matchable_after_the_queued_rebuild(
    app, people, fields
):
    uni, firm, admin = people
    matching.engine()  # a page was shown before anything was published: fit on nothing
    need = publish_need(firm, admin, fields, *NEW_NEED)
    assert len(_rebuild_jobs()) == 1  # no artifact: the very first publication is enough
    result = publish_result(uni, admin, fields, *NEW_RESULT)
    assert len(_rebuild_jobs()) == 1
    assert matching.recommend_for(need) == []
    assert jobs.run_pending(names=[matching.REBUILD_JOB]) == 1
    assert [r.publication.result_id for r in matching.recommend_for(need)] == [result.id]


def test_an_automatic_job_made_redundant_by_a_rebuild_is_skipped(app, people, fields):
    uni, firm, admin = people
    publish_need(firm, admin, fields, *NEW_NEED)
    (job,) = _rebuild_jobs()
    matching.rebuild_index()  # e.g. `matchmaker recommender rebuild` ran meanwhile
    db.session.commit()
    generation = matching.index_status()["generation"]
    jobs.run_pending(names=[matching.REBUILD_JOB])
    db.session.refresh(job)
    assert job.status == JobStatus.DONE and job.result == {"skipped": "fresh"}
    assert matching.index_status()["generation"] == generation


def test_an_admin_rebuild_always_runs(app, people, fields):
    _fitted_platform(people, fields)
    generation = matching.index_status()["generation"]
    jobs.enqueue(matching.REBUILD_JOB)
    db.session.commit()
    jobs.run_pending(names=[matching.REBUILD_JOB])
    assert matching.index_status()["generation"] == generation + 1

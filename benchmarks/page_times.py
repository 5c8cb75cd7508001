"""Time public pages in-process (Flask test client, production configuration) against the load
run's database: each page 5 times, median and minimum (docs/performance.md, "Search at 100,000
listings"). Usage: .venv/bin/python benchmarks/page_times.py [DB] [INSTANCE]

No server and no network: what one request costs the app and PostgreSQL, without queueing.
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import time

DB = sys.argv[1] if len(sys.argv) > 1 else "h_load"
INSTANCE = sys.argv[2] if len(sys.argv) > 2 else f"/tmp/h_load/instance-{DB}"  # noqa: S108 - load_run.py's folder
PAGES = [
    "/healthz",
    "/",
    "/results",
    "/needs",
    "/results?q=传感器",
    "/results?q=碳纤维复合材料",
    "/needs?q=检测",
    "/results?q=传感",
    "/challenges",
    "/results/1",
    "/needs/1",
]


def main() -> None:
    os.environ.update(
        MATCHMAKER_ENV="production",
        MATCHMAKER_SECRET_KEY=os.environ.get("MATCHMAKER_SECRET_KEY", "x" * 48),
        MATCHMAKER_SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB}",
        MATCHMAKER_INSTANCE_PATH=INSTANCE,
        MATCHMAKER_PUBLIC_URL="http://localhost",  # production needs one; the test client's
    )
    logging.disable(logging.WARNING)
    from matchmaker import create_app

    client = create_app().test_client()
    client.get(PAGES[4])  # load the index and the analyser first
    for url in PAGES:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            status = client.get(url).status_code
            times.append(time.perf_counter() - started)
        median, least = statistics.median(times) * 1000, min(times) * 1000
        print(f"{url:32} {status} median {median:7.0f} ms  min {least:7.0f} ms")


if __name__ == "__main__":
    main()

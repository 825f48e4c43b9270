"""``/api/v1/exports``: large downloads as background jobs with progress (issue 14, "Any staff user can
stall the API": "heavy exports as background jobs with progress").

Tests wait for a job by its future (``ExportJobs.wait``) or hold it with an event, never by sleeping.
"""

from __future__ import annotations

import csv
import io
import threading

import pytest

import ecowatch.web.api.exports as exports
import ecowatch.web.api.measurements as measurements
from ecowatch.store.budget import QueryBudgetExceeded
from ecowatch.web.api.exports import ExportJob, jobs_of
from xlsx_cells import read_first_sheet

ADMIN_ROWS = 3 * 72 * 6 + 69 * 6 + 12 + 12 + 1  # as in test_api_measurement_paging.py


def registry(client):
    class _Request:  # jobs_of reads request.app.state
        app = client.app

    return jobs_of(_Request)


def post(client, auth, body, user="admin"):
    return client.post("/api/v1/exports", json=body, headers=auth(user))


def test_an_export_is_queued_made_and_downloaded(client, auth):
    answer = post(client, auth, {"format": "xlsx"})
    assert answer.status_code == 202
    job_id = answer.json()["id"]
    assert answer.headers["location"] == f"/api/v1/exports/{job_id}"
    registry(client).wait(job_id, timeout=120)
    done = client.get(f"/api/v1/exports/{job_id}", headers=auth("admin")).json()
    assert (done["status"], done["rows"], done["rows_read"], done["progress"]) == (
        "done",
        ADMIN_ROWS,
        ADMIN_ROWS,
        1.0,
    )
    assert done["file"] == f"/api/v1/exports/{job_id}/file"
    file = client.get(done["file"], headers=auth("admin"))
    assert file.status_code == 200
    assert file.headers["content-disposition"] == 'attachment; filename="measurements.xlsx"'
    sheet = read_first_sheet(file.content)
    assert sheet.name == "measurements"
    assert len(sheet.rows) == 1 + ADMIN_ROWS
    assert "time (UTC+08:00)" in sheet.header


def test_a_csv_export_is_the_download_of_the_same_filters(client, auth):
    body = {"format": "csv", "site": "BJ-CY-A1", "pollutant": "CO", "from": "2016-01-02", "to": "2016-01-02"}
    job_id = post(client, auth, body, user="chaoyang").json()["id"]
    registry(client).wait(job_id, timeout=60)
    file = client.get(f"/api/v1/exports/{job_id}/file", headers=auth("chaoyang"))
    download = client.get(
        "/api/v1/measurements?site=BJ-CY-A1&pollutant=CO&from=2016-01-02&to=2016-01-02&format=csv",
        headers=auth("chaoyang"),
    )
    assert file.content == download.content
    rows = list(csv.DictReader(io.StringIO(file.content.decode("utf-8-sig"))))
    assert len(rows) == 24  # the whole Beijing day


def test_a_job_is_its_owners_alone(client, auth):
    job_id = post(client, auth, {"format": "csv", "site": "BJ-CY-A1", "limit": 5}, user="chaoyang").json()[
        "id"
    ]
    registry(client).wait(job_id, timeout=60)
    for user in ("bj", "admin"):
        answer = client.get(f"/api/v1/exports/{job_id}", headers=auth(user))
        assert (answer.status_code, answer.json()["detail"]) == (404, f"no export {job_id!r}")
    assert client.get(f"/api/v1/exports/{job_id}/file", headers=auth("bj")).status_code == 404
    assert client.get("/api/v1/exports/nosuchjob", headers=auth("chaoyang")).status_code == 404


def test_one_pending_job_per_user_and_no_file_before_it_is_made(client, auth, monkeypatch):
    release = threading.Event()
    started = threading.Event()

    def held(sessions, filters, limit):
        def work(job):
            started.set()
            assert release.wait(timeout=60)
            job.rows, job.content = 0, b"held"

        return work

    monkeypatch.setattr(exports, "_measurements_work", held)
    first = post(client, auth, {"format": "csv"}, user="bjcity").json()["id"]
    try:
        assert started.wait(timeout=60)
        status = client.get(f"/api/v1/exports/{first}", headers=auth("bjcity")).json()
        assert (status["status"], status["file"]) == ("running", None)
        early = client.get(f"/api/v1/exports/{first}/file", headers=auth("bjcity"))
        assert (early.status_code, early.json()["detail"]) == (409, f"export {first}: running, not made yet")
        again = post(client, auth, {"format": "csv"}, user="bjcity")
        assert again.status_code == 429
        assert again.headers["retry-after"] == "5"
        assert again.json()["detail"] == (
            f"exports: your export {first} is still being made; wait for it (GET /api/v1/exports/{first})"
        )
        other = post(client, auth, {"format": "csv"}, user="hebei")  # another user queues behind it
        assert (other.status_code, other.json()["status"]) == (202, "queued")
    finally:
        release.set()
    registry(client).wait(first, timeout=60)
    registry(client).wait(other.json()["id"], timeout=60)
    assert client.get(f"/api/v1/exports/{first}/file", headers=auth("bjcity")).content == b"held"


def test_a_failed_job_says_why(client, auth, monkeypatch):
    def failing(sessions, filters, limit):
        def work(job):
            raise QueryBudgetExceeded(60)

        return work

    monkeypatch.setattr(exports, "_measurements_work", failing)
    job_id = post(client, auth, {"format": "xlsx"}, user="hebei").json()["id"]
    registry(client).wait(job_id, timeout=60)
    status = client.get(f"/api/v1/exports/{job_id}", headers=auth("hebei")).json()
    assert (status["status"], status["error"]) == (
        "failed",
        "the query ran past its budget of 60 s and was stopped; narrow site/pollutant/from/to",
    )
    file = client.get(f"/api/v1/exports/{job_id}/file", headers=auth("hebei"))
    assert file.status_code == 409
    assert file.json()["detail"].startswith(f"export {job_id}: failed (the query ran past")


@pytest.mark.parametrize(
    "body, message",
    [
        ({"pollutant": "PM25"}, "pollutant: 'PM25' is neither a GB 3095 pollutant"),
        ({"from": "2016-01-03", "to": "2016-01-01"}, "to: 2016-01-01 is before from: 2016-01-03"),
        ({"site": "NOPE"}, "no site 'NOPE'"),
    ],
)
def test_a_bad_export_is_refused_before_it_is_queued(client, auth, body, message):
    answer = post(client, auth, body)
    assert answer.status_code in (404, 422)
    assert message in str(answer.json()["detail"])


def test_an_export_larger_than_a_download_is_refused(client, auth, monkeypatch):
    monkeypatch.setattr(measurements, "MAX_DOWNLOAD_ROWS", 10)
    answer = post(client, auth, {"format": "xlsx"})
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith(
        f"format: {ADMIN_ROWS} rows are more than a download holds (10)"
    )
    limited = post(client, auth, {"format": "xlsx", "limit": 10})
    assert limited.status_code == 202
    assert registry(client).wait(limited.json()["id"], timeout=60).rows == 10


def test_progress_is_the_share_of_rows_read_then_written():
    job = ExportJob(id="x", owner=1, fmt=measurements.TableFormat.xlsx, name="m", created_at=None)
    assert job.progress == 0.0
    job.status, job.rows, job.rows_read = "running", 2000, 1000
    assert job.progress == 0.45
    job.status = "writing"
    assert job.progress == 0.9
    job.status = "done"
    assert job.progress == 1.0

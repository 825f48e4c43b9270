"""``/api/v1/measurements?interval=min|rtd``: the gateway keeps real-time and minute values in their
frames (``ecowatch.store.frames``); the API reads them as measurement rows, together with rows other
writers put in ``measurement``, in scope and paged like every interval."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from sqlalchemy import select

from ecowatch.hj212 import make_cp
from ecowatch.importers import MEASUREMENT_SCHEMA
from ecowatch.store import make_engine, session_factory
from ecowatch.store.frames import apply_batch
from ecowatch.store.hj212_values import KeptFrame
from ecowatch.store.measurements import write_measurements
from ecowatch.store.models import Measurement, Site

RECEIVED = dt.datetime(2026, 3, 1, 2, 0, 30, tzinfo=dt.UTC)


def minute_frame(
    site_id: int, digest: str, data_time: str, so2: float | str, *, cn: int = 2051, flag: str = "N"
) -> KeptFrame:
    cp = make_cp(
        data_time,
        None,
        {
            "a21026": {"Min": 1.0, "Avg": so2, "Max": 30.0, "Flag": flag},
            "a00000": {"Cou": 5100.0, "Avg": 85.0, "Flag": "N"},
        },
    )
    return KeptFrame(
        digest,
        f"MN{site_id}",
        digest,
        "31",
        cn,
        5,
        "2017",
        None,
        None,
        data_time,
        cp.text,
        "##raw",
        "127.0.0.1:1",
        RECEIVED,
        site_id,
    )


@pytest.fixture
def store(fresh_store_url):
    """Two outlets' minute frames (one re-sent with a new value, one not a number) and a real-time
    frame; one minute row written to ``measurement`` by another writer."""
    engine = make_engine(fresh_store_url)
    with session_factory(engine).begin() as session:
        sites = dict(session.execute(select(Site.code, Site.id)).all())
        cy, hd = sites["BJ-CY-O1"], sites["BJ-HD-O1"]
        apply_batch(
            session=session,
            kept=[
                minute_frame(cy, "a", "20260301100000", 12.5),
                minute_frame(cy, "b", "20260301100100", 13.0, flag="M"),
                minute_frame(cy, "c", "20260301100100", 13.5),  # the same minute again, received later: wins
                minute_frame(hd, "d", "20260301100000", "---"),
                minute_frame(hd, "e", "20260301100000", 2.0, cn=2011),
            ],
        )
        frame = pl.DataFrame(
            [("BJ-HD-O1", dt.datetime(2026, 3, 1, 10, 2), "a21026", 3.25, None)],
            schema=MEASUREMENT_SCHEMA,
            orient="row",
        )
        write_measurements(session=session, frame=frame, source="csv-minutes", actor="test", interval="min")
        assert (
            session.scalar(
                select(Measurement.interval).where(Measurement.site_id == cy, Measurement.interval != "1h")
            )
            is None
        )
    engine.dispose()
    return fresh_store_url


def rows(client, auth, query: str, user: str = "admin") -> dict:
    response = client.get(f"/api/v1/measurements?{query}", headers=auth(user))
    assert response.status_code == 200, response.text
    return response.json()


def test_minute_values_come_from_frames_and_measurement_in_order(store, fresh_client, fresh_auth):
    body = rows(fresh_client, fresh_auth, "interval=min&pollutant=a21026")
    assert body["total"] == 4
    assert [
        (item["site"], item["time"], item["value"], item["flag"], item["note"], item["source"])
        for item in body["items"]
    ] == [
        ("BJ-CY-O1", "2026-03-01T10:00:00+08:00", 12.5, "N", None, "hj212"),
        ("BJ-CY-O1", "2026-03-01T10:01:00+08:00", 13.5, "N", None, "hj212"),
        ("BJ-HD-O1", "2026-03-01T10:00:00+08:00", None, "N", "not a number: '---'", "hj212"),
        ("BJ-HD-O1", "2026-03-01T10:02:00+08:00", 3.25, None, None, "csv-minutes"),
    ]
    everything = rows(fresh_client, fresh_auth, "interval=min&site=BJ-CY-O1")
    assert [(item["time"][11:16], item["pollutant"], item["value"]) for item in everything["items"]] == [
        ("10:00", "a00000", 85.0),
        ("10:00", "a00000-Cou", 5100.0),
        ("10:00", "a21026", 12.5),
        ("10:01", "a00000", 85.0),
        ("10:01", "a00000-Cou", 5100.0),
        ("10:01", "a21026", 13.5),
    ]
    realtime = rows(fresh_client, fresh_auth, "interval=rtd")
    # The CN 2011 frame carries Avg where Rtd belongs: only the flow's total is a real-time value.
    assert [(item["site"], item["pollutant"], item["value"]) for item in realtime["items"]] == [
        ("BJ-HD-O1", "a00000-Cou", 5100.0)
    ]
    assert (
        rows(fresh_client, fresh_auth, "interval=1h&site=BJ-CY-O1")["total"] == 12
    )  # the fixture's, as before


def test_frame_values_are_paged_filtered_by_time_and_scoped(store, fresh_client, fresh_auth):
    page = rows(fresh_client, fresh_auth, "interval=min&pollutant=a21026&limit=2&offset=1")
    assert page["total"] == 4 and [item["value"] for item in page["items"]] == [13.5, None]
    window = rows(
        fresh_client, fresh_auth, "interval=min&pollutant=a21026&from=2026-03-01T10:01&to=2026-03-01T10:01"
    )
    assert [item["value"] for item in window["items"]] == [13.5]
    own = rows(fresh_client, fresh_auth, "interval=min&pollutant=a21026", user="ent_cy")
    assert {item["site"] for item in own["items"]} == {"BJ-CY-O1"}
    assert rows(fresh_client, fresh_auth, "interval=min", user="hebei")["total"] == 0


def test_a_download_of_frame_values(store, fresh_client, fresh_auth):
    response = fresh_client.get(
        "/api/v1/measurements?interval=min&pollutant=a21026&format=csv", headers=fresh_auth("admin")
    )
    assert response.status_code == 200
    lines = response.text.strip().splitlines()
    assert len(lines) == 5 and lines[1].startswith("BJ-CY-O1,min,2026-03-01T10:00:00+08:00,a21026,12.5")


def test_frame_values_page_on_by_cursor_each_row_once(store, fresh_client, fresh_auth):
    whole = rows(fresh_client, fresh_auth, "interval=min")["items"]
    assert len(whole) == 10  # 2 frames x 3 values at BJ-CY-O1, 3 at BJ-HD-O1, 1 written by another writer
    seen, cursor = [], None
    while True:
        after = f"&cursor={cursor}" if cursor else ""
        page = rows(fresh_client, fresh_auth, f"interval=min&limit=3{after}")
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == whole

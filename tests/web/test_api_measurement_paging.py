"""``/api/v1/measurements``: units, whole-day ``to``, download limits, keyset paging and what one request
may cost (issue 13 "API and exports"; issue 14 "Any staff user can stall the API").

The fixture store (conftest.py) holds, in 1-h values: BJ-A0, BJ-CY-A1 and BJ-HD-A1 with 72 hours of the
six pollutants each (432 rows), SJZ-A1 with 69 hours (414), the two outlets 12 values each and the
water section one: 1,735 rows for the admin.
"""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import event

import ecowatch.web.api.measurements as measurements
from ecowatch.store.budget import QueryBudgetExceeded

ADMIN_ROWS = 3 * 72 * 6 + 69 * 6 + 12 + 12 + 1


def get(client, auth, query, user="admin"):
    return client.get(f"/api/v1/measurements?{query}", headers=auth(user))


def test_rows_carry_their_unit(client, auth):
    co = get(client, auth, "site=BJ-CY-A1&pollutant=CO&limit=1").json()["items"][0]
    assert (co["value"], co["unit"]) == (0.9, "mg/m³")  # GB 3095-2012 表1
    pm = get(client, auth, "site=BJ-CY-A1&pollutant=PM2.5&limit=1").json()["items"][0]
    assert pm["unit"] == "µg/m³"
    so2 = get(client, auth, "site=BJ-CY-O1&pollutant=a21026&limit=1").json()["items"][0]
    assert so2["unit"] == "mg/m³"  # HJ 212-2017 Annex B, Table B.2: 毫克/立方米, as the map writes it


def test_a_date_to_covers_its_whole_beijing_day(client, auth):
    body = get(client, auth, "site=BJ-CY-A1&pollutant=CO&from=2016-01-02&to=2016-01-02").json()
    assert body["total"] == 24
    times = [item["time"] for item in body["items"]]
    assert times[0] == "2016-01-02T00:00:00+08:00"
    assert times[-1] == "2016-01-02T23:00:00+08:00"


def test_a_date_time_to_includes_itself(client, auth):
    body = get(client, auth, "site=BJ-CY-A1&pollutant=CO&from=2016-01-02T03:00&to=2016-01-02T05:00").json()
    assert [item["time"][11:16] for item in body["items"]] == ["03:00", "04:00", "05:00"]


def test_the_openapi_document_says_to_is_inclusive_of_the_whole_day(client):
    parameters = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/measurements"]["get"][
        "parameters"
    ]
    to = next(p for p in parameters if p["name"] == "to")
    assert "the whole Beijing day" in to["description"]
    assert "inclusive" in to["description"]


def test_a_download_with_a_limit_is_the_first_rows(client, auth, monkeypatch):
    monkeypatch.setattr(measurements, "MAX_DOWNLOAD_ROWS", 10)  # the whole table no longer fits
    refused = get(client, auth, "format=csv")
    assert refused.status_code == 422
    assert refused.json()["detail"] == (
        f"format: {ADMIN_ROWS} rows are more than a download holds (10); "
        "give limit= or narrow site/pollutant/from/to"
    )
    answer = get(client, auth, "format=csv&limit=5")
    assert answer.status_code == 200
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert [(r["site"], r["time"], r["pollutant"]) for r in rows] == [
        ("BJ-A0", "2016-01-01T00:00:00+08:00", pollutant)
        for pollutant in ("CO", "NO2", "O3", "PM10", "PM2.5")
    ]
    assert rows[0]["unit"] == "mg/m³"


def test_a_large_workbook_is_sent_to_a_background_export(client, auth, monkeypatch):
    monkeypatch.setattr(measurements, "MAX_XLSX_ROWS", 100)
    answer = get(client, auth, "format=xlsx")
    assert answer.status_code == 422
    assert "POST /api/v1/exports" in answer.json()["detail"]
    assert get(client, auth, "format=xlsx&limit=100").status_code == 200


@pytest.mark.parametrize("page", [1, 7, 100, 1000])
def test_cursors_give_every_row_exactly_once(client, auth, page):
    first = get(client, auth, f"limit={page}").json()
    assert first["total"] == ADMIN_ROWS
    seen = [(i["site"], i["time"], i["pollutant"]) for i in first["items"]]
    cursor, pages = first["next_cursor"], 1
    while cursor is not None:
        body = get(client, auth, f"limit={page}&cursor={cursor}").json()
        seen += [(i["site"], i["time"], i["pollutant"]) for i in body["items"]]
        cursor, pages = body["next_cursor"], pages + 1
        assert pages <= ADMIN_ROWS  # a cursor that did not move on would loop for ever
    assert len(seen) == ADMIN_ROWS
    assert len(set(seen)) == ADMIN_ROWS
    download = get(client, auth, "format=csv")
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert seen == [(r["site"], r["time"], r["pollutant"]) for r in rows]  # the same order as one download


def test_the_last_page_has_no_cursor(client, auth):
    body = get(client, auth, "site=BJ-CY-A1&pollutant=CO&from=2016-01-02&to=2016-01-02&limit=24").json()
    assert (len(body["items"]), body["next_cursor"]) == (24, None)
    body = get(client, auth, "site=BJ-CY-A1&pollutant=CO&from=2016-01-02&to=2016-01-02&limit=23").json()
    last = get(
        client,
        auth,
        f"site=BJ-CY-A1&pollutant=CO&from=2016-01-02&to=2016-01-02&limit=23&cursor={body['next_cursor']}",
    ).json()
    assert [item["time"] for item in last["items"]] == ["2016-01-02T23:00:00+08:00"]
    assert last["next_cursor"] is None


def test_a_cursor_keeps_to_the_scope(client, auth):
    """A cursor is only a position: the user's scope and filters still choose the rows."""
    admin_page = get(
        client, auth, "limit=432"
    ).json()  # all of BJ-A0: the cursor points into BJ-CY-A1's start
    body = get(client, auth, f"limit=1000&cursor={admin_page['next_cursor']}", user="hebei").json()
    assert {item["site"] for item in body["items"]} == {"SJZ-A1"}


@pytest.mark.parametrize(
    "query, status, message",
    [
        (
            "offset=10001",
            422,
            "offset: 10001 is past the deepest offset (10000); page on with cursor= (next_cursor "
            "of each page), which costs the same at any depth",
        ),
        (
            "offset=10000000",
            422,
            "offset: 10000000 is past the deepest offset (10000); page on with cursor= "
            "(next_cursor of each page), which costs the same at any depth",
        ),
        (
            "offset=5&cursor=abc",
            422,
            "offset, cursor: give one of them (a cursor already says where the page starts)",
        ),
        (
            "cursor=bm90IGEgY3Vyc29y",
            422,
            "cursor: not a cursor this API gave (use next_cursor of the previous page)",
        ),
        ("limit=1001", 422, "limit: at most 1000 rows per JSON page (downloads take up to 200000)"),
    ],
)
def test_requests_that_would_cost_too_much_are_refused(client, auth, query, status, message):
    answer = get(client, auth, query)
    assert (answer.status_code, answer.json()["detail"]) == (status, message)


def test_a_cursor_of_another_interval_is_refused(client, auth):
    cursor = get(client, auth, "limit=1").json()["next_cursor"]
    answer = get(client, auth, f"interval=1d&cursor={cursor}")
    assert answer.json()["detail"] == "cursor: it pages interval=1h, not interval=1d"


def test_the_deepest_offset_is_still_answered(client, auth):
    assert get(client, auth, "offset=10000").json()["items"] == []  # fewer rows than that: an empty page


def test_an_unknown_pollutant_is_refused_before_any_read(app, client, auth):
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    engine = app.state.ecowatch.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        answer = get(client, auth, "pollutant=PM25")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert answer.status_code == 422
    assert answer.json()["detail"] == (
        "pollutant: 'PM25' is neither a GB 3095 pollutant (SO2, NO2, CO, O3, PM10, "
        "PM2.5) nor an HJ 212-2017 Annex B code (a21026, w01018, ...)"
    )
    assert not [s for s in statements if "measurement" in s]


def test_an_hj212_2005_code_is_pointed_to_its_2017_code(client, auth):
    answer = get(client, auth, "pollutant=02")
    assert answer.json()["detail"].endswith("; HJ 212-2005 code 02 is stored as a21026")


def test_a_suffixed_annex_b_code_is_accepted(client, auth):
    assert get(client, auth, "pollutant=a21026-Cou").json()["items"] == []


def test_a_read_past_its_budget_is_a_clear_answer(client, auth, monkeypatch):
    """The database stopping the read (tested on both backends in tests/store/test_store_budget.py)
    becomes a 422 that says what to do."""

    def exhausted(session, seconds):
        raise QueryBudgetExceeded(seconds)

    monkeypatch.setattr(measurements, "query_budget", exhausted)
    answer = get(client, auth, "pollutant=PM2.5")
    assert answer.status_code == 422
    assert answer.json()["detail"] == (
        "from/to: the query ran past its budget of 5 s and was stopped; narrow site/pollutant/from/to"
    )


def test_the_total_is_counted_only_as_deep_as_offset_goes(client, auth, monkeypatch):
    monkeypatch.setattr(measurements, "PAGE_COUNT_CAP", 100)
    body = get(client, auth, "limit=1000")
    assert (body.json()["total"], len(body.json()["items"])) == (None, 1000)
    assert body.json()["next_cursor"] is not None
    assert get(client, auth, "site=BJ-CY-A1&pollutant=CO").json()["total"] == 72  # within the cap: exact

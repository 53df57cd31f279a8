"""The http connector against a real ThreadingHTTPServer on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from syncdeck.connectors.errors import CursorError, SourceError
from syncdeck.connectors.http import HttpConnector, RedirectRefused, retry_after_seconds
from syncdeck.core.errors import ConfigError

from .conftest import ApiServer, Handler, MemoryStore, Reply, Seen, assert_aware_utc, run

BASE = datetime(2024, 7, 1, tzinfo=UTC)
SECRET = "s3cr3t-token-value"
RECORDS = [
    {
        "id": n,
        "body": f"record {n}",
        "name": f"Record {n}",
        "when": (BASE + timedelta(hours=n)).isoformat().replace("+00:00", "Z"),
    }
    for n in range(1, 8)
]


def token_pages(seen: Seen) -> Reply:
    """Three records a page; the token is the index of the next record."""
    start = int(seen.query.get("page_token", "0"))
    page = RECORDS[start : start + 3]
    after = start + 3
    return Reply(
        body={"data": {"items": page}, "next": str(after) if after < len(RECORDS) else None}
    )


def connector(api: ApiServer, path: str = "/items", **params: object) -> HttpConnector:
    defaults: dict[str, object] = {
        "items_path": "data.items",
        "content_field": "body",
        "title_field": "name",
        "timestamp_field": "when",
        "pagination": "next_token",
        "token_field": "next",
        "backoff": 0.001,
        "max_wait": 0.01,
        "timeout": 5.0,
    }
    return HttpConnector(api.url + path, **{**defaults, **params})  # type: ignore[arg-type]


def test_full_sync_over_token_pages(api: ApiServer) -> None:
    api.routes["/items"] = token_pages
    http = connector(api, headers={"Authorization": f"Bearer {SECRET}"})
    http.connector_id = "api"
    result = run(http)
    assert result.ids == [str(n) for n in range(1, 8)]
    doc = result.docs[0]
    assert (doc.content, doc.title, doc.source) == ("record 1", "Record 1", "api")
    assert doc.timestamp == BASE + timedelta(hours=1)
    assert_aware_utc(result.docs)
    assert [json.loads(c) for c in result.cursors] == [{"next": "3"}, {"next": "6"}, {"next": None}]
    assert [seen.query.get("page_token") for seen in api.requests] == [None, "3", "6"]
    assert api.requests[0].headers["Authorization"] == f"Bearer {SECRET}"
    assert api.requests[0].headers["Accept"] == "application/json"


def test_resume_from_a_midway_cursor(api: ApiServer) -> None:
    api.routes["/items"] = token_pages
    http = connector(api)
    midway = run(http).cursors[0]
    api.requests.clear()
    assert run(http, cursor=midway).ids == ["4", "5", "6", "7"]
    assert api.requests[0].query["page_token"] == "3"


def test_a_finished_pass_starts_over_and_brings_edited_records(api: ApiServer) -> None:
    api.routes["/items"] = token_pages
    http = connector(api)
    done = run(http).cursor
    RECORDS_EDITED = [dict(r) for r in RECORDS]
    RECORDS_EDITED[1]["body"] = "record 2, edited"
    api.routes["/items"] = Reply(body={"data": {"items": RECORDS_EDITED}, "next": None})
    again = run(http, cursor=done)
    assert again.ids == [str(n) for n in range(1, 8)]
    assert again.docs[1].content == "record 2, edited"


def test_unchanged_records_cost_no_document_and_edits_are_read(api: ApiServer) -> None:
    api.routes["/items"] = token_pages
    store = MemoryStore()
    store.sync(connector(api))
    again = store.sync(connector(api))
    assert again.ids == [] and again.unchanged == [str(n) for n in range(1, 8)]
    edited = [dict(r) for r in RECORDS]
    edited[2]["body"] = "record 3, edited"
    api.routes["/items"] = Reply(body={"data": {"items": edited}, "next": None})
    assert store.sync(connector(api)).ids == ["3"]
    assert store.docs["3"].content == "record 3, edited"


def test_full_refresh_reads_every_page_each_run_and_removes_what_is_gone(
    api: ApiServer,
) -> None:
    api.routes["/items"] = token_pages
    store = MemoryStore()
    first = store.sync(connector(api, full_refresh=True))
    assert first.complete and len(store) == 7
    RECORDS_LEFT = [r for r in RECORDS if r["id"] not in (2, 6)]
    api.routes["/items"] = Reply(body={"data": {"items": RECORDS_LEFT}, "next": None})
    api.requests.clear()
    # Even from a mid-pass cursor (an interrupted run), a refresh starts at the first page.
    again = store.sync(connector(api, full_refresh=True), cursor='{"next": "3"}')
    assert again.complete
    assert [seen.query.get("page_token") for seen in api.requests] == [None]
    assert sorted(store.docs, key=int) == ["1", "3", "4", "5", "7"]
    assert "full refresh" in connector(api, full_refresh=True).describe()


def test_full_refresh_ignores_since(api: ApiServer) -> None:
    api.routes["/items"] = Reply(body={"data": {"items": RECORDS}})
    http = connector(api, pagination="none", full_refresh=True)
    result = run(http, since=BASE + timedelta(hours=5))
    assert result.ids == [str(n) for n in range(1, 8)] and result.complete
    with pytest.raises(ConfigError, match="'full_refresh' and 'since_param' exclude"):
        connector(api, full_refresh=True, since_param="updated_since")
    with pytest.raises(ConfigError, match="'full_refresh' must be true or false"):
        connector(api, full_refresh="yes")


@pytest.mark.parametrize(
    ("spec", "marks"),
    [
        ("deleted", [{"deleted": True}, {"deleted": "true"}, {"deleted": 1}]),
        ("status == deleted", [{"status": "deleted"}, {"status": " deleted "}]),
        ("meta.state == 'gone'", [{"meta": {"state": "gone"}}]),
    ],
)
def test_deleted_field_removes_marked_records(
    api: ApiServer, spec: str, marks: list[dict[str, object]]
) -> None:
    api.routes["/items"] = Reply(body={"data": {"items": RECORDS}})
    store = MemoryStore()
    store.sync(connector(api, pagination="none", deleted_field=spec))
    tombstones = [{**RECORDS[n], **mark} for n, mark in enumerate(marks)]
    live = [{**r, "deleted": False, "status": "live"} for r in RECORDS[len(marks) :]]
    api.routes["/items"] = Reply(body={"data": {"items": tombstones + live}})
    again = store.sync(connector(api, pagination="none", deleted_field=spec))
    assert again.deleted == [str(n) for n in range(1, len(marks) + 1)]
    assert sorted(store.docs, key=int) == [str(n) for n in range(len(marks) + 1, 8)]


def test_a_bad_deleted_field_is_a_config_error(api: ApiServer) -> None:
    for spec in ("== deleted", "status =="):
        with pytest.raises(ConfigError, match="'deleted_field'"):
            connector(api, deleted_field=spec)


def test_since_is_sent_and_applied(api: ApiServer) -> None:
    api.routes["/items"] = Reply(body={"data": {"items": RECORDS}})
    since = BASE + timedelta(hours=5)
    http = connector(api, pagination="none", since_param="updated_since", params={"limit": "50"})
    assert run(http, since=since).ids == ["5", "6", "7"]
    assert api.requests[-1].query == {"limit": "50", "updated_since": "2024-07-01T05:00:00Z"}
    epoch = connector(api, pagination="none", since_param="after", since_format="epoch")
    run(epoch, since=since)
    assert api.requests[-1].query == {"after": str(int(since.timestamp()))}
    run(http)
    assert "updated_since" not in api.requests[-1].query


def test_next_link_pagination_with_body_links_and_link_headers(api: ApiServer) -> None:
    api.routes["/a"] = Reply(body={"items": RECORDS[:2], "next": "/b?x=1"})
    api.routes["/b"] = Reply(
        body={"items": RECORDS[2:4]}, headers={"Link": '</c>; rel="next", </a>; rel="first"'}
    )
    api.routes["/c"] = Reply(body={"items": RECORDS[4:]})
    http = connector(api, "/a", items_path="items", pagination="next_link", link_field="next")
    result = run(http)
    assert result.ids == [str(n) for n in range(1, 8)]
    assert json.loads(result.cursors[0]) == {"next": f"{api.url}/b?x=1"}
    assert run(http, cursor=result.cursors[1]).ids == ["5", "6", "7"]


def test_page_number_pagination_stops_at_an_empty_page(api: ApiServer) -> None:
    def pages(seen: Seen) -> Reply:
        page = int(seen.query["p"])
        return Reply(body=RECORDS[(page - 1) * 3 : page * 3])

    api.routes["/pages"] = pages
    http = connector(api, "/pages", items_path="", pagination="page", page_param="p")
    result = run(http)
    assert result.ids == [str(n) for n in range(1, 8)]
    assert [json.loads(c)["next"] for c in result.cursors] == [2, 3, 4, None]
    assert run(http, cursor=result.cursors[1]).ids == ["7"]


def test_only_http_urls_are_accepted(api: ApiServer) -> None:
    for url in ("file:///etc/passwd", "ftp://example.org/x", "data:,hi", "localhost/items"):
        with pytest.raises(ConfigError, match=r"'url'.*not an http"):
            HttpConnector(url)
    with pytest.raises(ConfigError, match="'pagination'"):
        HttpConnector(api.url, pagination="cursor")


@pytest.mark.parametrize("target", ["https://127.0.0.1:1/items", "file:///etc/passwd"])
def test_a_redirect_to_another_scheme_is_refused(api: ApiServer, target: str) -> None:
    api.routes["/old"] = Reply(302, b"", headers={"Location": target})
    with pytest.raises(RedirectRefused, match="refusing to change the scheme"):
        run(connector(api, "/old", pagination="none"))
    assert len(api.hits("/old")) == 1  # not retried either


def test_same_scheme_redirects_keep_credentials_only_on_the_same_host(api: ApiServer) -> None:
    api.routes["/old"] = Reply(301, b"", headers={"Location": "/items"})
    api.routes["/items"] = Reply(body={"data": {"items": RECORDS[:1]}})
    http = connector(api, "/old", pagination="none", headers={"Authorization": SECRET})
    assert run(http).ids == ["1"]
    assert api.hits("/items")[0].headers["Authorization"] == SECRET
    other_host = api.url.replace("127.0.0.1", "localhost")
    api.routes["/away"] = Reply(302, b"", headers={"Location": f"{other_host}/items"})
    run(connector(api, "/away", pagination="none", headers={"Authorization": SECRET}))
    assert "Authorization" not in api.hits("/items")[-1].headers


def test_429_with_retry_after_then_success(api: ApiServer) -> None:
    api.routes["/items"] = [
        Reply(429, {"error": "slow down"}, headers={"Retry-After": "7"}),
        Reply(body={"data": {"items": RECORDS[:2]}}),
    ]
    waits: list[float] = []
    http = connector(api, pagination="none", max_wait=100.0)
    http.sleep = waits.append
    assert run(http).ids == ["1", "2"]
    assert waits == [7.0]  # the server's delay, not the backoff
    capped = connector(api, pagination="none", max_wait=0.01)
    api.routes["/items"] = [
        Reply(429, {}, headers={"Retry-After": "3600"}),
        Reply(body={"data": {"items": []}}),
    ]
    capped_waits: list[float] = []
    capped.sleep = capped_waits.append
    run(capped)
    assert capped_waits == [0.01]


def test_5xx_is_retried_with_exponential_backoff(api: ApiServer) -> None:
    api.routes["/items"] = [
        Reply(503, {}),
        Reply(500, {}),
        Reply(body={"data": {"items": RECORDS[:1]}}),
    ]
    waits: list[float] = []
    http = connector(api, pagination="none", backoff=0.002, max_wait=1.0)
    http.sleep = waits.append
    assert run(http).ids == ["1"]
    assert waits == [0.002, 0.004]


def test_retries_give_up_with_the_last_error(api: ApiServer) -> None:
    api.routes["/items"] = Reply(502, {"error": "bad gateway"})
    with pytest.raises(SourceError, match=r"failed after 3 attempt\(s\): HTTP 502"):
        run(connector(api, pagination="none", max_retries=2))
    assert len(api.hits("/items")) == 3


def test_a_client_error_is_not_retried_and_hides_credentials(api: ApiServer) -> None:
    def echo(seen: Seen) -> Reply:
        token = seen.headers["Authorization"].split()[-1]
        return Reply(401, {"error": f"bad token {token} for key {seen.query['api_key']}"})

    api.routes["/items"] = echo
    http = HttpConnector(
        f"{api.url}/items?api_key=key-{SECRET}", headers={"Authorization": f"Bearer {SECRET}"}
    )
    with pytest.raises(SourceError, match="HTTP 401") as info:
        run(http)
    assert SECRET not in str(info.value)
    assert "bad token *** for key ***" in str(info.value)
    assert len(api.hits("/items")) == 1


def test_a_timeout_is_retried_then_reported(api: ApiServer) -> None:
    api.routes["/items"] = [Reply(delay=2.0, body={}), Reply(body={"data": {"items": RECORDS[:1]}})]
    assert run(connector(api, pagination="none", timeout=0.2, max_retries=1)).ids == ["1"]
    api.routes["/items"] = Reply(delay=2.0, body={})
    with pytest.raises(SourceError, match=r"failed after 2 attempt\(s\): timed out after 0.2 s"):
        run(connector(api, pagination="none", timeout=0.2, max_retries=1))


def test_responses_that_are_not_the_expected_json(api: ApiServer) -> None:
    api.routes["/html"] = Reply(body=b"<html>oops</html>")
    with pytest.raises(SourceError, match="is not JSON"):
        run(connector(api, "/html", pagination="none"))
    api.routes["/wrong"] = Reply(body={"results": []})
    with pytest.raises(
        SourceError, match=r"no list of records at items_path 'data.items' \(keys: results\)"
    ):
        run(connector(api, "/wrong", pagination="none"))


def test_a_pagination_loop_is_stopped(api: ApiServer) -> None:
    api.routes["/items"] = Reply(body={"data": {"items": RECORDS[:1]}, "next": "same"})
    with pytest.raises(SourceError, match="already read"):
        run(connector(api))


def test_describe_and_errors_hide_secrets(api: ApiServer) -> None:
    http = HttpConnector(
        f"http://user:{SECRET}@127.0.0.1:1/items?api_key={SECRET}&q=x",
        headers={"Authorization": SECRET},
        max_retries=0,
        timeout=0.5,
    )
    assert SECRET not in http.describe()
    assert "api_key=***" in http.describe()
    with pytest.raises(SourceError) as info:
        run(http)
    assert SECRET not in str(info.value)


def test_a_hand_edited_cursor_is_reported(api: ApiServer) -> None:
    with pytest.raises(CursorError, match='"next"'):
        run(connector(api), cursor='{"page": 3}')
    with pytest.raises(CursorError, match="scheme"):
        run(connector(api, pagination="next_link"), cursor='{"next": "file:///etc/passwd"}')


def test_retry_after_http_date() -> None:
    now = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds(later, now=now) == 30.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 0.0
    assert retry_after_seconds("12", now=now) == 12.0
    assert retry_after_seconds("soon", now=now) is None


def test_secret_query_parameters_stay_out_of_saved_cursors(api: ApiServer) -> None:
    """A next link that echoes the api key is saved without it, and the key is added back
    on each request: a credential never reaches the state database."""

    def keyed(page: int) -> Handler:
        def reply(seen: Seen) -> Reply:
            if seen.query.get("api_key") != SECRET:
                return Reply(status=401, body={"error": "no key"})
            following = f"/p{page + 1}?api_key={SECRET}&page={page + 1}" if page < 3 else None
            return Reply(body={"items": RECORDS[page * 2 : page * 2 + 2], "next": following})

        return reply

    for page in range(4):
        api.routes[f"/p{page}"] = keyed(page)
    http = connector(
        api, "/p0", items_path="items", pagination="next_link", params={"api_key": SECRET}
    )
    result = run(http)
    assert result.ids == [str(n) for n in range(1, 8)]
    assert result.cursors and all(SECRET not in cursor for cursor in result.cursors)
    assert json.loads(result.cursors[0]) == {"next": f"{api.url}/p1?page=1"}
    assert run(http, cursor=result.cursors[1]).ids == ["5", "6", "7"]  # resumes, key re-added

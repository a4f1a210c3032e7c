"""The Worker adapters (D1, KV, fetch) inside Pyodide against Miniflare's real
D1 and KV and real loopback HTTP servers, through the harness."""

from __future__ import annotations

import socket
import time
import uuid

import httpx
import pytest

from keypool.core.sse import error_event as sse_error_event
from keypool.ports import CLIENT_GONE

MODULE = "worker_checks"


def test_d1_rows_are_plain_dicts_with_python_values(worker_harness):
    report = worker_harness.pyjson(MODULE, "d1_roundtrip")
    assert report["run"] == [[1, 1], [1, 2]]
    assert report["rows"] == [
        {"id": 1, "n": 2**40, "r": 2.5, "s": "héllo", "flag": 1},  # True bound as 1
        {"id": 2, "n": None, "r": 3, "s": "x", "flag": 0},
    ]
    assert report["types"][0] == {"id": "int", "n": "int", "r": "float", "s": "str", "flag": "int"}
    # NULL is None; an integral REAL comes back as int, like every JS number that is whole.
    assert report["types"][1] == {"id": "int", "n": "NoneType", "r": "int", "s": "str", "flag": "int"}
    assert report["first"] == {"id": 2, "n": None, "r": 3, "s": "x", "flag": 0}
    assert report["missing"] is None
    assert report["count"] == {"n": 2} and report["count_type"] == "int"
    assert report["updated"] == 2


def test_d1_batch_is_all_or_nothing(worker_harness):
    worker_harness.pyjson(MODULE, "d1_roundtrip")  # creates the table
    report = worker_harness.pyjson(MODULE, "d1_batch_is_atomic")
    assert [changes for changes, _ in report["results"]] == [1, 1]
    assert "NOT NULL" in report["error"] and "INSERT INTO adapter_check" in report["error"]
    assert report["values"] == ["a", "b"]  # "c" was rolled back with the failing statement
    assert report["empty"] == []


def test_d1_errors_name_the_statement_never_the_parameters(worker_harness):
    worker_harness.pyjson(MODULE, "d1_roundtrip")
    report = worker_harness.pyjson(MODULE, "d1_errors_name_the_statement_not_parameters")
    messages = report["messages"]
    assert None not in messages, messages
    assert "no such table" in messages[0] and "SELECT * FROM no_such_table" in messages[0]
    assert "SELECT nonsense FROM adapter_check" in messages[1]
    assert "NOT NULL" in messages[2]
    assert "INSERT INTO adapter_check" in messages[3]
    assert messages[4].startswith("schema script failed")
    for message in messages:
        assert report["secret"] not in message


def test_schema_script_is_split_into_statements(worker_harness):
    text = (
        "-- header; with a semicolon;\n"
        "CREATE TABLE a (x TEXT DEFAULT ';');\n"
        "\n"
        "-- comment only;\n"
        "CREATE INDEX a_x ON a (x);\n"
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n"
        "  UPDATE a SET x = 'y';\n"
        "END;\n"
        "CREATE TABLE b (y INTEGER)"
    )
    statements = worker_harness.pyjson(MODULE, "script_split", text)
    assert len(statements) == 4
    assert statements[0] == "CREATE TABLE a (x TEXT DEFAULT ';');"  # comment-only chunks dropped
    assert statements[1] == "CREATE INDEX a_x ON a (x);"
    assert statements[2].startswith("CREATE TRIGGER") and statements[2].endswith("END;")
    assert statements[3] == "CREATE TABLE b (y INTEGER)"


def test_kv_assets(worker_harness):
    report = worker_harness.pyjson(MODULE, "kv_assets")
    assert report["check/index.html"] == {"body": list(b"<h1>hi</h1>"), "type": "text/html; charset=utf-8"}
    assert report["/check/js/app.js"]["type"] == "text/javascript; charset=utf-8"
    assert report["check/img/dot.png"] == {"body": [137, 80, 78, 71, 0, 255], "type": "image/png"}
    for missing in ("check/nope.css", "check/../check/index.html", "check/js/../index.html", "", "check/js/"):
        assert report[missing] is None, missing


def test_fetch_sends_and_reads(worker_harness, loopback_upstream):
    report = worker_harness.pyjson(MODULE, "fetch_echo", loopback_upstream.url)
    assert report["status"] == 200
    names = [name for name, _ in report["headers"]]
    assert "x-echo" in names and "set-cookie" in names
    assert "content-length" not in names
    echo = report["echo"]
    assert echo["method"] == "POST" and echo["query"] == "a=1&b=2"
    assert echo["body"] == '{"hello": "wörld"}'
    assert echo["headers"]["x-custom"] == "v1"
    assert echo["headers"]["authorization"] == "Bearer sk-upstream"
    assert report["bounded"] == 1000
    assert report["chunked"] == 64
    assert report["redirect"] == [302, "/echo"]  # not followed, like the local client
    assert report["status_503"] == [503, '{"code":50505,"message":"busy"}']


def test_fetch_timeout_and_refused_raise_upstream_error(worker_harness, loopback_upstream):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    report = worker_harness.pyjson(MODULE, "fetch_failures", loopback_upstream.url, dead)
    assert report["timeout"]["timeout"] is True
    assert 400 <= report["timeout"]["ms"] < 2500
    assert report["refused"]["timeout"] is False
    assert "unreachable" in report["refused"]["message"]


def relay(harness, url: str, *, observe: bool, sse: bool, use_defer: bool = True) -> tuple[httpx.Response, dict]:
    token = uuid.uuid4().hex
    response = harness.pycall(MODULE, "relay", url, token, observe, sse, use_defer)
    harness.stats(response.headers["x-harness-invocation"])  # waits for its waitUntil work
    return response, harness.pyjson(MODULE, "observed", token)


def test_relay_without_observer_passes_the_upstream_stream_through(worker_harness, loopback_upstream):
    response, seen = relay(worker_harness, f"{loopback_upstream.url}/bytes?n=300000", observe=False, sse=False)
    assert response.status_code == 200
    assert response.content == bytes(i % 251 for i in range(300000))
    assert seen["body_type"] == "ReadableStream"


@pytest.mark.parametrize("use_defer", [True, False])
def test_relay_feeds_the_observer_one_copy(worker_harness, loopback_upstream, use_defer):
    response, seen = relay(worker_harness, f"{loopback_upstream.url}/sse?n=5", observe=True, sse=True,
                           use_defer=use_defer)
    expected = "".join(f'data: {{"i": {i}}}\n\n' for i in range(5)) + "data: [DONE]\n\n"
    assert response.text == expected
    assert seen["feeds"] == [expected]  # one feed with the whole body
    assert seen["finished"] is True and seen["error"] is None


@pytest.mark.parametrize("observe", [True, False])
def test_relay_of_a_broken_sse_stream_ends_with_an_error_event(worker_harness, loopback_upstream, observe):
    response, seen = relay(worker_harness, f"{loopback_upstream.url}/sse?n=3&break=1", observe=observe, sse=True)
    assert response.status_code == 200
    text = response.text
    assert text.startswith('data: {"i": 0}\n\ndata: {"i": 1}\n\ndata: {"i": 2}\n\n')
    assert "[DONE]" not in text
    error_event = text[len('data: {"i": 0}\n\ndata: {"i": 1}\n\ndata: {"i": 2}\n\n'):]
    assert error_event.startswith("data: ") and error_event.endswith("\n\n")
    message = httpx.Response(200, content=error_event[6:]).json()["error"]["message"]
    # the same event bytes as the local server's relay writes
    assert error_event.encode() == sse_error_event(message)
    assert '"code": "stream_broken"' in error_event
    assert message == "upstream stream broke: TypeError"  # the JS error's name, as Node's fetch raised it
    if observe:
        assert seen["finished"] is True and seen["error"] == message
        assert seen["feeds"] == ['data: {"i": 0}\n\ndata: {"i": 1}\n\ndata: {"i": 2}\n\n']


@pytest.mark.parametrize("client_signal", [False, True], ids=["stream-cancel", "request-signal"])
def test_relay_stops_the_upstream_when_the_client_goes_away(worker_harness, loopback_upstream, client_signal):
    """Seen from the cancelled response stream, or (workerd's enable_request_signal) the request's signal."""
    before = loopback_upstream.disconnects
    token = uuid.uuid4().hex
    with httpx.stream("POST", f"{worker_harness.url}/__harness/pycall", timeout=30,
                      json={"module": MODULE, "function": "relay", "clientSignal": client_signal,
                            "args": [f"{loopback_upstream.url}/sse?n=60&delay=0.1", token, True, True, True]}
                      ) as response:
        next(response.iter_raw())
        invocation = response.headers["x-harness-invocation"]
    worker_harness.stats(invocation)
    deadline = time.monotonic() + 10
    while loopback_upstream.disconnects == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert loopback_upstream.disconnects == before + 1
    seen = worker_harness.pyjson(MODULE, "observed", token)
    assert seen["finished"] is True and seen["error"] == CLIENT_GONE
    assert seen["feeds"] and seen["feeds"][0].startswith('data: {"i": 0}')  # what came before the cancel


def test_each_send_is_one_subrequest(worker_harness, loopback_upstream):
    response = worker_harness.pycall(MODULE, "fetch_echo", loopback_upstream.url)
    stats = worker_harness.stats(response.headers["x-harness-invocation"])
    assert stats["fetches"] == 6
    assert all(url.startswith(loopback_upstream.url) for url in stats["fetch_urls"])

"""/v1 findings of the attack review (issue 9), each as a regression test: model names,
model allowlists whatever the body's type, nested JSON, odd Retry-After values, paths
that try to leave /v1, bounded log fields, HEAD, the client key checked before the
body is read, /api/key and user/info permissions, and no secret in any log."""

from __future__ import annotations

import http.client
import json
import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest

from integration.test_proxy import MODEL, add_keys, client_key
from support import ADMIN_TOKEN

CHAT = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}


def post(local_server, key: str, body: bytes | dict, content_type: str = "application/json",
         path: str = "/v1/chat/completions") -> httpx.Response:
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    return httpx.post(f"{local_server.url}{path}", content=data, timeout=30,
                      headers={"authorization": f"Bearer {key}", "content-type": content_type})


def raw_request(local_server, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:
    """A request line sent exactly as written (httpx would normalise dot segments)."""
    url = urlsplit(local_server.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in {**headers, "content-length": str(len(body))}.items():
            connection.putheader(name, value)
        connection.endheaders(body or None)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def runtime_resolves_dot_segments(local_server) -> bool:
    """Workers (workerd, and the Node harness like it) parse the URL before any of our code
    runs, and resolve /v1/../x to /x there; the local server sees the path as sent."""
    return hasattr(local_server, "pycall")


# --- finding 3: the internal "any model" is nothing a client can name; names are checked

@pytest.mark.parametrize("model", ["*", "", " deepseek", "a" * 201, "model\nname", "模型", 123, None, ["a"]])
def test_bad_model_names_are_refused_before_the_upstream(api, fake, local_server, model):
    add_keys(api, fake, "ok")
    response = post(local_server, client_key(api), {**CHAT, "model": model})
    assert response.status_code == 400, response.text
    assert "model" in response.json()["error"]["message"]
    assert fake.calls["total"] == 0


def test_a_rate_limit_met_for_one_model_cools_no_other(api, fake, local_server):
    limited, _ = add_keys(api, fake, "rate_limited", "ok", rate_limited={"models": ["model/a"]})
    key = client_key(api)
    assert post(local_server, key, {**CHAT, "model": "model/a"}).status_code == 200  # failed over
    for _ in range(2):
        assert post(local_server, key, {**CHAT, "model": "model/b"}).status_code == 200
    assert fake.count(key=limited) == 2  # model/b still reached the key cooled for model/a


# --- finding 4: the model comes from the body whatever its content type ----------------

def test_the_allowlist_holds_for_json_sent_as_text_plain(api, fake, local_server):
    add_keys(api, fake, "ok")
    key = client_key(api, models=[MODEL])
    refused = post(local_server, key, {**CHAT, "model": "other/model"}, content_type="text/plain")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "model_not_allowed"
    assert post(local_server, key, CHAT, content_type="text/plain").status_code == 200
    assert fake.calls["total"] == 1


def multipart(fields: list[tuple[str, bytes, str | None]], boundary: str = "kpBoundary7") -> tuple[bytes, str]:
    parts = []
    for name, value, filename in fields:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        parts.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + value + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_the_allowlist_holds_for_a_model_field_after_a_large_multipart_part(api, fake, local_server):
    add_keys(api, fake, "ok")
    key = client_key(api, models=["FunAudioLLM/SenseVoiceSmall"])
    big = b"\x01" * (70 * 1024)
    body, content_type = multipart([("file", big, "a.mp3"), ("model", b"other/model", None)])
    refused = post(local_server, key, body, content_type, path="/v1/audio/transcriptions")
    assert refused.status_code == 403, refused.text
    body, content_type = multipart([("file", big, "a.mp3"), ("model", b"FunAudioLLM/SenseVoiceSmall", None)])
    allowed = post(local_server, key, body, content_type, path="/v1/audio/transcriptions")
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["bytes"] == len(big)
    assert fake.calls["total"] == 1


@pytest.mark.parametrize("body, content_type", [
    (b'{"messages": []}', "application/json"),           # no model field
    (b"model=other/model", "text/plain"),                 # not JSON
    (b"\x1f\x8b\x08 gzip", "application/json"),           # unreadable
    (multipart([("file", b"x", "a.mp3")])[0], multipart([])[1]),  # multipart without a model
])
def test_with_an_allowlist_a_body_whose_model_cannot_be_read_is_refused(api, fake, local_server, body, content_type):
    add_keys(api, fake, "ok")
    response = post(local_server, client_key(api, models=[MODEL]), body, content_type)
    assert response.status_code == 403 and response.json()["error"]["code"] == "model_not_allowed"
    assert fake.calls["total"] == 0


def test_a_body_naming_two_models_is_refused(api, fake, local_server):
    add_keys(api, fake, "ok")
    key = client_key(api, models=[MODEL])
    twice = b'{"model": "%s", "messages": [], "model": "other/model"}' % MODEL.encode()
    assert post(local_server, key, twice).status_code == 400
    body, content_type = multipart([("model", MODEL.encode(), None), ("model", b"other/model", None)])
    assert post(local_server, key, body, content_type, path="/v1/audio/transcriptions").status_code == 400
    assert fake.calls["total"] == 0


def test_without_an_allowlist_odd_bodies_still_pass_through(api, fake, local_server):
    add_keys(api, fake, "ok")
    response = post(local_server, client_key(api), b"not json at all", "text/plain", path="/v1/some/new/endpoint")
    assert response.status_code == 200 and response.json()["path"] == "/v1/some/new/endpoint"


# --- finding 6: no 500 from nested JSON or an upstream's Retry-After -----------------

def test_deeply_nested_json_is_a_400_not_a_500(api, fake, local_server):
    add_keys(api, fake, "ok")
    deep = b'{"model": "m", "x": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_000 + b"}"
    response = post(local_server, client_key(api), deep)
    assert response.status_code == 400, response.text[:300]
    assert "nested" in response.json()["error"]["message"]
    assert fake.calls["total"] == 0


@pytest.mark.parametrize("retry_after", ["nan", "inf", "-inf", "-5", "1e30", "NaN", "soon",
                                         "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_any_upstream_retry_after_gives_a_sane_429(api, fake, local_server, retry_after):
    (key,) = add_keys(api, fake, "custom", custom={"status": 429, "headers": {"retry-after": retry_after}, "body": {
        "code": 50602, "message": "Request was rejected due to rate limiting. Details: TPM limit reached."}})
    response = post(local_server, client_key(api), CHAT)
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["retry-after"]) <= 86400
    second = post(local_server, client_key(api), CHAT)  # the key is cooling: no call, and no 500 either
    assert second.status_code == 503 and 1 <= int(second.headers["retry-after"]) <= 86400
    assert fake.count(key=key) == 1


# --- finding 7: nothing leaves /v1 upstream -----------------------------------------------

@pytest.mark.parametrize("path", ["/v1/../api/keys", "/v1/%2e%2e/api/keys", "/v1/%2E%2E/api/keys",
                                  "/v1/chat/../../api/keys"])
def test_dot_segments_never_reach_the_upstream(api, fake, local_server, path):
    add_keys(api, fake, "ok")
    status, body = raw_request(local_server, "GET", path, {"authorization": f"Bearer {client_key(api)}"})
    assert fake.calls["total"] == 0
    if runtime_resolves_dot_segments(local_server):
        # The URL arrived as /api/keys, where a client key is no admin credential.
        assert status == 401, body
    else:
        assert status == 400, body
    assert b"sk-" not in body


@pytest.mark.parametrize("path", ["/v1/..%2fapi%2fkeys", "/v1/..%2Fapi/keys", "/v1/chat/%2e%2e%2f%2e%2e%2fapi",
                                  "/v1/x/..%5c..%5capi", "/v1/models%00", "/v1/a%252e%252e/b"])
def test_encoded_escapes_from_v1_are_refused_with_400(api, fake, local_server, path):
    add_keys(api, fake, "ok")
    status, body = raw_request(local_server, "GET", path, {"authorization": f"Bearer {client_key(api)}"})
    assert status == 400, body
    assert json.loads(body)["error"]["code"] == "invalid_path"
    assert fake.calls["total"] == 0


# --- finding 8: every stored log field is bounded ------------------------------------------

def test_a_5_mb_model_name_never_reaches_the_database(api, fake, local_server):
    add_keys(api, fake, "ok")
    created = api.post("/api/client-keys", json={"name": "long"}).json()
    key = created["key"]
    for _ in range(3):
        assert post(local_server, key, {**CHAT, "model": "m" * (5 * 1024 * 1024)}).status_code == 400
    long_path = "/v1/" + "/".join(["segment"] * 400)
    assert post(local_server, key, CHAT, path=long_path).status_code == 200
    items = api.get("/api/logs", params={"client_key_id": created["id"]}).json()["items"]
    assert len(items) == 1  # the refused requests are not logged
    assert len(items[0]["endpoint"]) <= 300 and items[0]["endpoint"].startswith("/v1/segment/")


# --- finding 9: HEAD is logged and counted -----------------------------------------------------

def test_head_on_v1_is_logged_and_counts_against_the_quota(api, fake, local_server):
    add_keys(api, fake, "ok")
    created = api.post("/api/client-keys", json={"name": "head", "request_quota": 2}).json()
    headers = {"authorization": f"Bearer {created['key']}"}
    for _ in range(2):
        assert httpx.head(f"{local_server.url}/v1/models", headers=headers).status_code == 200
    refused = httpx.head(f"{local_server.url}/v1/models", headers=headers)
    assert refused.status_code == 429
    items = api.get("/api/logs", params={"client_key_id": created["id"]}).json()["items"]
    assert [(item["method"], item["status"]) for item in items] == [("HEAD", 200), ("HEAD", 200)]
    assert fake.calls["total"] == 2


# --- finding 10: the client key before the body -----------------------------------------------

@pytest.mark.parametrize("authorization", [None, "Bearer sk-kp-unknown"])
def test_an_unauthenticated_caller_is_refused_before_its_body_is_read(local_server, fake, authorization):
    """Headers promising 31 MB, and no body sent: the answer comes at once."""
    url = urlsplit(local_server.url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: {url.hostname}\r\ncontent-type: application/json\r\n"
                f"content-length: {31 * 1024 * 1024}\r\n")
        if authorization:
            head += f"authorization: {authorization}\r\n"
        sock.sendall((head + "\r\n").encode())
        started = time.monotonic()
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
    assert time.monotonic() - started < 5
    assert fake.calls["total"] == 0


# --- finding 15: /api/key and user/info ------------------------------------------------------------

def test_api_key_honours_the_client_keys_model_allowlist(api, fake, local_server):
    (key,) = add_keys(api, fake, "ok")
    limited = client_key(api, allow_upstream_key=True, models=[MODEL])
    headers = {"authorization": f"Bearer {limited}"}
    assert httpx.get(f"{local_server.url}/api/key", headers=headers).status_code == 403
    assert httpx.get(f"{local_server.url}/api/key", params={"model": "other/model"}, headers=headers).status_code == 403
    got = httpx.get(f"{local_server.url}/api/key", params={"model": MODEL}, headers=headers)
    assert got.status_code == 200 and got.json() == {"key": key}
    assert httpx.get(f"{local_server.url}/api/key", params={"model": "*"}, headers=headers).status_code == 400


def test_user_info_of_the_pooled_accounts_needs_the_upstream_key_permission(api, fake, local_server):
    add_keys(api, fake, "ok")
    plain = httpx.get(f"{local_server.url}/v1/user/info", headers={"authorization": f"Bearer {client_key(api)}"})
    assert plain.status_code == 403 and plain.json()["error"]["code"] == "upstream_key_not_allowed"
    assert fake.calls["total"] == 0
    allowed = client_key(api, allow_upstream_key=True)
    answer = httpx.get(f"{local_server.url}/v1/user/info", headers={"authorization": f"Bearer {allowed}"})
    assert answer.status_code == 200 and answer.json()["data"]["totalBalance"]


# --- no secret in any log, after every error path -------------------------------------------------

def test_no_key_reaches_the_server_log_or_the_request_log_on_any_error_path(api, fake, local_server):
    behaviours = ["invalid", "no_balance", "no_balance_402", "forbidden", "rate_limited", "overloaded",
                  "server_error", "break", "slow", "ok"]
    upstream = add_keys(api, fake, *behaviours, slow={"delay": 3})
    assert api.put("/api/settings", json={"upstream_timeout_s": 1, "max_attempts": 10}).status_code == 200
    mine = client_key(api)
    limited = client_key(api, models=[MODEL], request_quota=3)
    headers = {"authorization": f"Bearer {mine}"}
    for stream in (False, True):
        for model in (MODEL, "no-such-model"):
            post(local_server, mine, {**CHAT, "model": model, "stream": stream})
    with httpx.stream("POST", f"{local_server.url}/v1/chat/completions", json={**CHAT, "stream": True},
                      headers=headers, timeout=30) as response:
        next(response.iter_raw())  # and gone
    for body, content_type in ((CHAT, "application/json"), ({**CHAT, "model": "other"}, "text/plain"),
                               (b"junk", "text/plain"), ({**CHAT, "model": "*"}, "application/json")):
        post(local_server, limited, body, content_type)
    for guess in ("sk-kp-guessing", f"{mine}x", upstream[-1]):
        post(local_server, guess, CHAT)
    raw_request(local_server, "GET", "/v1/..%2fapi%2fkeys", headers)
    httpx.get(f"{local_server.url}/v1/user/info", headers=headers)
    time.sleep(1.5)  # the disconnected stream is finished and logged
    logs = json.dumps(api.get("/api/logs", params={"page_size": 500}).json())
    server_log = local_server.log()
    assert server_log, "the server wrote no log at all: is this test reading the right file?"
    for secret in (*upstream, mine, limited, "sk-kp-guessing", ADMIN_TOKEN):
        assert secret not in server_log, secret
        assert secret not in logs, secret

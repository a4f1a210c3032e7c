"""Usage totals and quotas under concurrency (issues 9 and 11): every request is counted
once per upstream key and per client key whatever the `request_log` mode; a request
quota is reserved when a request starts; a client that leaves mid-stream is charged."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import httpx
import pytest

from integration.test_proxy import MODEL
from support import make_key

CHAT_BODY = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}
COMPLETION_TOKENS = 5  # the fake's answer: five tokens
PROMPT_TOKENS = 1      # "hi"


def new_client(api, **fields) -> tuple[int, str]:
    response = api.post("/api/client-keys", json={"name": "usage", **fields})
    assert response.status_code == 201, response.text
    return response.json()["id"], response.json()["key"]


async def hammer(url: str, keys: list[str], per_client: int) -> list[int]:
    """Each client key sends `per_client` chat requests one after another, all keys at once.
    aiohttp as the load generator: httpx's own overhead would make the client the bottleneck."""
    body = json.dumps(CHAT_BODY).encode()
    connector = aiohttp.TCPConnector(limit=len(keys))
    async with aiohttp.ClientSession(url, connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as http:
        async def client(key: str) -> list[int]:
            headers = {"authorization": f"Bearer {key}", "content-type": "application/json"}
            statuses = []
            for _ in range(per_client):
                async with http.post("/v1/chat/completions", data=body, headers=headers) as response:
                    await response.read()
                    statuses.append(response.status)
            return statuses

        return [status for statuses in await asyncio.gather(*(client(key) for key in keys)) for status in statuses]


def client_row(api, client_id: int) -> dict:
    return next(c for c in api.get("/api/client-keys").json()["items"] if c["id"] == client_id)


def key_row(api, key: str) -> dict:
    (item,) = api.get("/api/keys", params={"q": key}).json()["items"]
    return item


def logged(api, client_id: int) -> int:
    return api.get("/api/logs", params={"client_key_id": client_id, "page_size": 1}).json()["total"]


@pytest.mark.parametrize("mode", ["all", "errors", "sampled", "off"])
def test_usage_totals_are_exact_for_16_concurrent_clients_in_every_log_mode(api, fake, local_server, mode):
    assert api.put("/api/settings", json={"request_log": mode, "request_log_sample_rate": 0.1}).status_code == 200
    upstream = [make_key(f"usage{mode}{i}") for i in range(4)]
    assert api.post("/api/keys", json={"keys": upstream}).json()["added"] == 4
    clients = [new_client(api) for _ in range(16)]
    statuses = asyncio.run(hammer(local_server.url, [key for _, key in clients], 200))
    assert statuses == [200] * 3200
    for client_id, _ in clients:
        row = client_row(api, client_id)
        assert (row["request_count"], row["prompt_tokens"], row["completion_tokens"]) == (
            200, 200 * PROMPT_TOKENS, 200 * COMPLETION_TOKENS), row
    served = [fake.count(key=key) for key in upstream]
    assert sum(served) == 3200
    assert [key_row(api, key)["request_count"] for key in upstream] == served
    assert [key_row(api, key)["completion_tokens"] for key in upstream] == [n * COMPLETION_TOKENS for n in served]
    rows = sum(logged(api, client_id) for client_id, _ in clients)
    expected = {"all": (3200, 3200), "errors": (0, 0), "off": (0, 0), "sampled": (220, 420)}[mode]
    assert expected[0] <= rows <= expected[1], rows
    requests = api.get("/api/stats").json()["requests"]
    assert requests["count"] >= 3200 and requests["completion_tokens"] >= 3200 * COMPLETION_TOKENS


def test_no_usage_increment_is_lost_for_16_clients_times_500_requests(api, fake, local_server):
    upstream = [make_key(f"lossless{i}") for i in range(3)]
    api.post("/api/keys", json={"keys": upstream})
    clients = [new_client(api) for _ in range(16)]
    statuses = asyncio.run(hammer(local_server.url, [key for _, key in clients], 500))
    assert statuses == [200] * 8000
    assert [client_row(api, client_id)["request_count"] for client_id, _ in clients] == [500] * 16
    assert sum(key_row(api, key)["request_count"] for key in upstream) == 8000
    assert sum(logged(api, client_id) for client_id, _ in clients) == 8000


def test_errors_only_logging_keeps_the_failures(api, fake, local_server):
    assert api.put("/api/settings", json={"request_log": "errors"}).status_code == 200
    api.post("/api/keys", json={"keys": [make_key("errorsonly")]})
    client_id, key = new_client(api)
    headers = {"authorization": f"Bearer {key}"}
    assert httpx.post(f"{local_server.url}/v1/chat/completions", json=CHAT_BODY, headers=headers).status_code == 200
    bad = httpx.post(f"{local_server.url}/v1/chat/completions", json={**CHAT_BODY, "model": "no-such-model"},
                     headers=headers)
    assert bad.status_code == 400
    items = api.get("/api/logs", params={"client_key_id": client_id}).json()["items"]
    assert [(item["status"], item["model"]) for item in items] == [(400, "no-such-model")]
    assert client_row(api, client_id)["request_count"] == 2


def test_a_request_quota_is_reserved_when_a_request_starts(api, fake, local_server):
    """50 requests at once on a key with request_quota 5: exactly 5 get through."""
    api.post("/api/keys", json={"keys": [make_key("quota")]})
    fake.configure(latency_ms=200)  # all 50 are in flight together
    client_id, key = new_client(api, request_quota=5)

    async def burst() -> list[int]:
        async with httpx.AsyncClient(base_url=local_server.url, timeout=60,
                                     limits=httpx.Limits(max_connections=50)) as http:
            responses = await asyncio.gather(*(
                http.post("/v1/chat/completions", json=CHAT_BODY, headers={"authorization": f"Bearer {key}"})
                for _ in range(50)))
        return sorted(response.status_code for response in responses)

    assert asyncio.run(burst()) == [200] * 5 + [429] * 45
    assert fake.calls["total"] == 5
    assert client_row(api, client_id)["request_count"] == 5


def test_a_request_the_pool_failed_before_the_upstream_is_not_charged(api, fake, local_server):
    client_id, key = new_client(api, request_quota=1)
    headers = {"authorization": f"Bearer {key}"}
    for _ in range(3):  # no key in the pool: 503, nothing asked upstream
        assert httpx.post(f"{local_server.url}/v1/chat/completions", json=CHAT_BODY,
                          headers=headers).status_code == 503
    api.post("/api/keys", json={"keys": [make_key("charged")]})
    assert httpx.post(f"{local_server.url}/v1/chat/completions", json=CHAT_BODY, headers=headers).status_code == 200
    assert httpx.post(f"{local_server.url}/v1/chat/completions", json=CHAT_BODY, headers=headers).status_code == 429
    assert client_row(api, client_id)["request_count"] == 1
    assert logged(api, client_id) == 4  # the refusals are in the log, uncharged


def test_a_client_that_leaves_mid_stream_is_still_charged(api, fake, local_server):
    api.post("/api/keys", json={"keys": [make_key("leaver")]})
    fake.configure(chunk_delay_ms=400)
    client_id, key = new_client(api)
    with httpx.stream("POST", f"{local_server.url}/v1/chat/completions", json={**CHAT_BODY, "stream": True},
                      headers={"authorization": f"Bearer {key}"}, timeout=30) as response:
        assert response.status_code == 200
        next(response.iter_raw())  # the first event, then gone: no final usage chunk
    deadline = time.monotonic() + 10
    while True:
        items = api.get("/api/logs", params={"client_key_id": client_id}).json()["items"]
        if items:
            break
        assert time.monotonic() < deadline, "the disconnected request was never logged"
        time.sleep(0.1)
    assert items[0]["error_class"] == "client_disconnected"
    assert items[0]["completion_tokens"] >= 1 and items[0]["prompt_tokens"] >= 1
    row = client_row(api, client_id)
    assert row["request_count"] == 1
    assert row["completion_tokens"] == items[0]["completion_tokens"]
    assert row["prompt_tokens"] == items[0]["prompt_tokens"]

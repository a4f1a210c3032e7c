"""The /v1 proxy end to end: the openai SDK -> local server -> fake SiliconFlow (all real HTTP)."""

from __future__ import annotations

import asyncio
import time

import httpx
import openai
import pytest

from support import ADMIN_TOKEN, make_key

MODEL = "deepseek-ai/DeepSeek-V3"
FREE_MODEL = "Qwen/Qwen2.5-7B-Instruct"


def add_keys(api, fake, *behaviours, **options) -> list[str]:
    """One upstream key per behaviour, imported in this order (so round-robin tries them in order)."""
    keys = [make_key(f"{i}{b.replace('_', '')}") for i, b in enumerate(behaviours)]
    for key, behaviour in zip(keys, behaviours):
        fake.set_key(key, behaviour, **options.get(behaviour, {}))
    assert api.post("/api/keys", json={"keys": keys}).json()["added"] == len(keys)
    return keys


_created_ids: list[int] = []


def client_key(api, **fields) -> str:
    response = api.post("/api/client-keys", json={"name": "test", **fields})
    assert response.status_code == 201, response.text
    _created_ids.append(response.json()["id"])
    return response.json()["key"]


def sdk(local_server, key, **kwargs) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{local_server.url}/v1", api_key=key, max_retries=0, **kwargs)


def status_of(api, key) -> str:
    items = api.get("/api/keys", params={"q": key}).json()["items"]
    assert len(items) == 1
    return items[0]["status"]


def calls(fake, key) -> int:
    return fake.count(key)


def chat(client, model=MODEL, **kwargs):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}], **kwargs)


# --- the happy paths ---------------------------------------------------------------

def test_sdk_sync_chat_uses_a_pool_key_not_the_client_key(api, fake, local_server):
    (upstream_key,) = add_keys(api, fake, "ok")
    mine = client_key(api)
    reply = chat(sdk(local_server, mine))
    assert reply.choices[0].message.content
    assert reply.usage.prompt_tokens > 0
    sent = fake.calls["log"][-1]
    assert sent["headers"]["authorization"] == f"Bearer {upstream_key}"
    assert mine not in str(sent["headers"])


def test_sdk_async_stream_delivers_every_chunk_and_records_usage(api, fake, local_server):
    add_keys(api, fake, "ok")
    mine = client_key(api)

    async def run():
        client = openai.AsyncOpenAI(base_url=f"{local_server.url}/v1", api_key=mine, max_retries=0)
        stream = await chat(client, stream=True, stream_options={"include_usage": True})
        parts, usage = [], None
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                parts.append(chunk.choices[0].delta.content)
            usage = chunk.usage or usage
        await client.close()
        return parts, usage

    parts, usage = asyncio.run(run())
    assert parts == [f"tok{i} " for i in range(fake.chunks)]
    assert usage.completion_tokens > 0
    logs = wait_for_logs(api, 1)
    assert logs[0]["prompt_tokens"] == usage.prompt_tokens
    assert logs[0]["completion_tokens"] == usage.completion_tokens
    assert logs[0]["stream"] == 1 and logs[0]["status"] == 200 and logs[0]["attempts"] == 1


def test_sdk_async_non_stream(api, fake, local_server):
    add_keys(api, fake, "ok")
    mine = client_key(api)

    async def run():
        async with openai.AsyncOpenAI(base_url=f"{local_server.url}/v1", api_key=mine, max_retries=0) as client:
            return await chat(client)

    assert asyncio.run(run()).model == MODEL


def test_stream_chunks_are_not_coalesced(api, fake, local_server):
    add_keys(api, fake, "ok")
    mine = client_key(api)
    fake.configure(chunk_delay_ms=300)
    started = time.monotonic()
    arrivals = []
    for chunk in chat(sdk(local_server, mine), stream=True):
        if chunk.choices and chunk.choices[0].delta.content:
            arrivals.append(time.monotonic() - started)
    assert len(arrivals) == fake.chunks
    # the first token reached the client long before the upstream sent its last one
    assert arrivals[-1] - arrivals[0] >= 0.3 * (fake.chunks - 1) * 0.8


def wait_for_logs(api, count, client_key_id=None):
    """Log entries of one client key (by default the one created last): the log is
    written after the response, and a previous test's entries may still land."""
    params = {"client_key_id": client_key_id or _created_ids[-1]}
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        items = api.get("/api/logs", params=params).json()["items"]
        if len(items) >= count:
            return items
        time.sleep(0.05)
    raise AssertionError(f"expected {count} log entries, got {items}")


# --- the error table ----------------------------------------------------------------------

@pytest.mark.parametrize("behaviour, new_status", [
    ("invalid", "invalid"),
    ("no_balance_402", "exhausted"),
    ("no_balance", "exhausted"),
    ("forbidden", "unchecked"),
    ("rate_limited", "unchecked"),
    ("overloaded", "unchecked"),
    ("server_error", "unchecked"),
])
def test_failover_by_error_class(api, fake, local_server, behaviour, new_status):
    bad, good = add_keys(api, fake, behaviour, "ok")
    reply = chat(sdk(local_server, client_key(api)))
    assert reply.choices[0].message.content
    assert (calls(fake, bad), calls(fake, good)) == (1, 1)
    assert wait_for_logs(api, 1)[0]["attempts"] == 2  # state is written with the log, after the response
    assert status_of(api, bad) == new_status
    assert status_of(api, good) == "valid"  # it just served a request


@pytest.mark.parametrize("behaviour", ["forbidden", "rate_limited", "no_balance"])
def test_a_key_excluded_for_a_model_is_not_retried_for_it(api, fake, local_server, behaviour):
    bad, good = add_keys(api, fake, behaviour, "ok")
    client = sdk(local_server, client_key(api))
    for _ in range(4):
        chat(client)
    assert calls(fake, bad) == 1
    assert calls(fake, good) == 4


def test_rate_limit_is_per_model(api, fake, local_server):
    limited, _ = add_keys(api, fake, "rate_limited", "ok")
    client = sdk(local_server, client_key(api))
    chat(client, model="model/a")
    fake.set_key(limited, "ok")
    for _ in range(2):
        chat(client, model="model/b")
    assert calls(fake, limited) == 2  # cooled for model/a only


def test_exhausted_key_still_serves_free_models(api, fake, local_server):
    api.put("/api/settings", json={"free_models": [FREE_MODEL]})
    (poor,) = add_keys(api, fake, "no_balance")
    client = sdk(local_server, client_key(api))
    with pytest.raises(openai.APIStatusError) as caught:
        chat(client)
    assert caught.value.status_code == 503
    wait_for_logs(api, 1)
    assert status_of(api, poor) == "exhausted"
    assert chat(client, model=FREE_MODEL).choices[0].message.content
    assert calls(fake, poor) == 2


def test_unknown_model_passes_through_untouched_without_retry(api, fake, local_server):
    add_keys(api, fake, "ok", "ok")
    with pytest.raises(openai.BadRequestError) as caught:
        chat(sdk(local_server, client_key(api)), model="no-such-model")
    assert caught.value.body["code"] == 20012 if isinstance(caught.value.body, dict) else True
    assert "Model does not exist" in str(caught.value)
    assert fake.calls["total"] == 1


def test_dead_keys_use_up_no_attempt_and_the_503_says_what_was_tried(api, fake, local_server):
    keys = add_keys(api, fake, *["invalid"] * 3, *["no_balance"] * 2)
    with pytest.raises(openai.APIStatusError) as caught:
        chat(sdk(local_server, client_key(api)))
    assert caught.value.status_code == 503
    assert "tried 5 keys (3 invalid, 2 exhausted)" in caught.value.message
    assert fake.calls["total"] == 5  # more than max_attempts (3): failures about a key are failovers
    wait_for_logs(api, 1)
    assert [status_of(api, k) for k in keys] == ["invalid"] * 3 + ["exhausted"] * 2


def test_transient_failures_are_bounded_by_max_attempts(api, fake, local_server):
    add_keys(api, fake, *["overloaded"] * 5)
    with pytest.raises(openai.APIStatusError) as caught:
        chat(sdk(local_server, client_key(api)))
    assert caught.value.status_code == 503  # the upstream's own status
    assert "tried 3 keys (3 upstream_error)" in caught.value.message
    assert "max_attempts" in caught.value.message
    assert fake.calls["total"] == 3


def test_all_keys_rate_limited_answers_429_with_retry_after_then_503_without_calls(api, fake, local_server):
    add_keys(api, fake, "rate_limited", "rate_limited", rate_limited={"retry_after": 42})
    client = sdk(local_server, client_key(api))
    with pytest.raises(openai.RateLimitError) as caught:
        chat(client)
    assert caught.value.response.headers["retry-after"] == "42"
    assert fake.calls["total"] == 2
    with pytest.raises(openai.APIStatusError) as caught:
        chat(client)
    assert caught.value.status_code == 503
    assert 40 <= int(caught.value.response.headers["retry-after"]) <= 42
    assert "cooling" in caught.value.message
    assert fake.calls["total"] == 2


def test_slow_key_times_out_and_fails_over(api, fake, local_server):
    api.put("/api/settings", json={"upstream_timeout_s": 1})
    slow, good = add_keys(api, fake, "slow", "ok", slow={"delay": 3})
    assert chat(sdk(local_server, client_key(api))).choices[0].message.content
    assert status_of(api, slow) == "unchecked"
    assert calls(fake, good) == 1


def test_empty_pool_answers_503(api, fake, local_server):
    with pytest.raises(openai.APIStatusError) as caught:
        chat(sdk(local_server, client_key(api)))
    assert caught.value.status_code == 503
    assert "import keys" in caught.value.message


def test_break_after_first_byte_ends_with_an_error_event_and_no_retry(api, fake, local_server):
    add_keys(api, fake, "break", "ok")
    mine = client_key(api)
    with httpx.stream("POST", f"{local_server.url}/v1/chat/completions",
                      headers={"authorization": f"Bearer {mine}"},
                      json={"model": MODEL, "stream": True, "messages": []}, timeout=30) as response:
        assert response.status_code == 200
        text = "".join(response.iter_text())
    assert "tok0" in text
    assert '"stream_broken"' in text
    assert "[DONE]" not in text
    assert fake.calls["total"] == 1
    assert wait_for_logs(api, 1)[0]["error_class"] == "stream_broken"


def test_client_disconnect_cancels_the_upstream_request(api, fake, local_server):
    add_keys(api, fake, "ok")
    mine = client_key(api)
    fake.configure(chunk_delay_ms=500)
    with httpx.stream("POST", f"{local_server.url}/v1/chat/completions",
                      headers={"authorization": f"Bearer {mine}"},
                      json={"model": MODEL, "stream": True, "messages": []}, timeout=30) as response:
        next(response.iter_raw())
    deadline = time.monotonic() + 5
    while fake.calls["disconnects"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fake.calls["disconnects"] == 1


# --- client keys -------------------------------------------------------------------------------

def test_missing_or_wrong_client_key_gets_openai_401(api, fake, local_server):
    add_keys(api, fake, "ok")
    for headers in ({}, {"authorization": "Bearer sk-kp-wrong"}):
        response = httpx.post(f"{local_server.url}/v1/chat/completions", headers=headers, json={"model": MODEL})
        assert response.status_code == 401
        error = response.json()["error"]
        assert error["message"] and error["type"] == "authentication_error" and error["code"] == "invalid_api_key"
    assert fake.calls["total"] == 0


def test_admin_token_is_not_a_client_key(api, fake, local_server):
    add_keys(api, fake, "ok")
    with pytest.raises(openai.AuthenticationError):
        chat(sdk(local_server, ADMIN_TOKEN))


def test_client_key_is_shown_once_and_stored_hashed(api, local_server):
    created = api.post("/api/client-keys", json={"name": "app"}).json()
    assert created["key"].startswith("sk-kp-")
    listed = api.get("/api/client-keys").json()["items"]
    assert created["key"] not in str(listed)
    import sqlite3
    with sqlite3.connect(local_server.db_path) as conn:
        dump = "\n".join(conn.iterdump())
    assert created["key"] not in dump


def test_disabled_and_expired_client_keys_are_refused(api, fake, local_server):
    add_keys(api, fake, "ok")
    disabled = client_key(api, enabled=False)
    expired = client_key(api, expires_at=int(time.time()) - 1)
    for key in (disabled, expired):
        with pytest.raises(openai.PermissionDeniedError):
            chat(sdk(local_server, key))
    assert fake.calls["total"] == 0


def test_disabling_a_client_key_takes_effect(api, fake, local_server):
    add_keys(api, fake, "ok")
    created = api.post("/api/client-keys", json={"name": "app"}).json()
    client = sdk(local_server, created["key"])
    chat(client)
    assert api.patch(f"/api/client-keys/{created['id']}", json={"enabled": False}).status_code == 200
    with pytest.raises(openai.PermissionDeniedError):
        chat(client)


def test_model_allowlist(api, fake, local_server):
    add_keys(api, fake, "ok")
    client = sdk(local_server, client_key(api, models=[MODEL]))
    assert chat(client).choices
    with pytest.raises(openai.PermissionDeniedError):
        chat(client, model="other/model")


def test_requests_per_minute_limit(api, fake, local_server):
    add_keys(api, fake, "ok")
    client = sdk(local_server, client_key(api, rpm_limit=2))
    chat(client)
    chat(client)
    with pytest.raises(openai.RateLimitError) as caught:
        chat(client)
    assert int(caught.value.response.headers["retry-after"]) > 0
    assert fake.calls["total"] == 2


def test_request_and_token_quotas(api, fake, local_server):
    add_keys(api, fake, "ok")
    client = sdk(local_server, client_key(api, request_quota=1))
    chat(client)
    with pytest.raises(openai.RateLimitError) as caught:
        chat(client)
    assert "quota" in caught.value.message
    tokens = sdk(local_server, client_key(api, token_quota=1))
    chat(tokens)
    time.sleep(0.5)  # usage is counted when the response ends
    with pytest.raises(openai.RateLimitError):
        chat(tokens)


def test_usage_totals_per_upstream_key_and_client_key(api, fake, local_server):
    (key,) = add_keys(api, fake, "ok")
    created = api.post("/api/client-keys", json={"name": "app"}).json()
    client = sdk(local_server, created["key"])
    replies = [chat(client) for _ in range(3)]
    wait_for_logs(api, 3, created["id"])
    time.sleep(0.3)
    expected = sum(r.usage.completion_tokens for r in replies)
    item = api.get("/api/keys", params={"q": key}).json()["items"][0]
    assert (item["request_count"], item["completion_tokens"]) == (3, expected)
    client_row = next(c for c in api.get("/api/client-keys").json()["items"] if c["id"] == created["id"])
    assert (client_row["request_count"], client_row["completion_tokens"]) == (3, expected)


@pytest.mark.parametrize("field, value", [("rpm_limit", 0), ("models", "all"), ("enabled", "yes"), ("bogus", 1)])
def test_bad_client_key_fields_are_400(api, field, value):
    response = api.post("/api/client-keys", json={"name": "x", field: value})
    assert response.status_code == 400 and response.json()["error"]["message"]


# --- the rest of the API surface ------------------------------------------------------------------

def test_other_endpoints_pass_through(api, fake, local_server):
    add_keys(api, fake, "ok")
    client = sdk(local_server, client_key(api))
    assert len(client.embeddings.create(model="BAAI/bge-m3", input=["a", "b"]).data) == 2
    assert client.models.list().data
    speech = client.audio.speech.create(model="fishaudio/fish-speech-1.5", voice="alloy", input="hello")
    direct = httpx.post(f"{fake.url}/v1/audio/speech", headers={"authorization": "Bearer sk-direct"},
                        json={"model": "fishaudio/fish-speech-1.5", "voice": "alloy", "input": "hello"})
    assert speech.content == direct.content and len(speech.content) > 1000
    upload = client.audio.transcriptions.create(model="FunAudioLLM/SenseVoiceSmall",
                                                file=("a.mp3", b"\x01" * 5000, "audio/mpeg"))
    assert upload.text
    completion = client.completions.create(model=MODEL, prompt="hi")
    assert completion.choices
    image = client.images.generate(model="Kwai-Kolors/Kolors", prompt="cat")
    assert image.data


def test_rerank_messages_and_unknown_paths_are_forwarded(api, fake, local_server):
    add_keys(api, fake, "ok")
    headers = {"authorization": f"Bearer {client_key(api)}"}
    rerank = httpx.post(f"{local_server.url}/v1/rerank", headers=headers,
                        json={"model": "BAAI/bge-reranker-v2-m3", "query": "q", "documents": ["a", "b"]})
    assert rerank.status_code == 200
    messages = httpx.post(f"{local_server.url}/v1/messages", headers={"x-api-key": headers["authorization"][7:]},
                          json={"model": MODEL, "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]})
    assert messages.status_code == 200 and messages.json()["usage"]["output_tokens"] > 0
    other = httpx.get(f"{local_server.url}/v1/some/new/endpoint?x=1", headers=headers)
    assert other.json()["path"] == "/v1/some/new/endpoint"


def test_cors_preflight_and_headers(api, fake, local_server):
    preflight = httpx.options(f"{local_server.url}/v1/chat/completions", headers={
        "origin": "https://chat.example", "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "authorization" in preflight.headers["access-control-allow-headers"]
    refused = httpx.post(f"{local_server.url}/v1/chat/completions", json={})
    assert refused.headers["access-control-allow-origin"] == "*"


def test_get_api_key_for_allowed_client_keys_only(api, fake, local_server):
    (key,) = add_keys(api, fake, "ok")
    allowed = client_key(api, allow_upstream_key=True)
    plain = client_key(api)
    got = httpx.get(f"{local_server.url}/api/key", headers={"authorization": f"Bearer {allowed}"})
    assert got.json() == {"key": key}
    refused = httpx.get(f"{local_server.url}/api/key", headers={"authorization": f"Bearer {plain}"})
    assert refused.status_code == 403
    assert key not in refused.text


def test_no_secret_reaches_the_server_log(api, fake, local_server):
    keys = add_keys(api, fake, "invalid", "break", "rate_limited", "ok")
    mine = client_key(api)
    client = sdk(local_server, mine)
    for _ in range(3):
        try:
            chat(client, stream=True).close()
        except openai.APIError:
            pass
    httpx.post(f"{local_server.url}/v1/chat/completions", headers={"authorization": "Bearer sk-kp-guessing"},
               json={"model": MODEL})
    wait_for_logs(api, 3)
    log = local_server.log()
    assert log, "the server wrote no log at all: is this test reading the right file?"
    for secret in (*keys, mine, "sk-kp-guessing", ADMIN_TOKEN):
        assert secret not in log

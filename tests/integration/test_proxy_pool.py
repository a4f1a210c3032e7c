"""A dirty pool is invisible to clients (issue 11): dead and empty keys cost failovers,
not attempts; requests in flight learn from each other; the walk is bounded by
`max_key_failovers` and `request_deadline_s`; imported keys are checked on their own.
The openai SDK against the local server and the fake SiliconFlow (all real HTTP)."""

from __future__ import annotations

import asyncio
import random
import time

import openai
import pytest

from integration.test_proxy import MODEL, add_keys, chat, client_key, sdk, status_of
from support import make_key

CHAT = "/v1/chat/completions"


def chat_calls(fake, key) -> int:
    return fake.count(key=key, path=CHAT)


def import_shuffled(api, fake, behaviours: dict[str, int], seed: int) -> dict[str, list[str]]:
    """Keys per behaviour, imported in one request in a shuffled order."""
    keys = {b: [make_key(f"dirty{b.replace('_', '')}{i}") for i in range(n)] for b, n in behaviours.items()}
    for behaviour, listed in keys.items():
        for key in listed:
            fake.set_key(key, behaviour)
    everything = [key for listed in keys.values() for key in listed]
    random.Random(seed).shuffle(everything)
    response = api.post("/api/keys", json={"keys": everything})
    assert response.status_code == 200 and response.json()["added"] == len(everything), response.text
    return keys


@pytest.mark.parametrize("seed", [1, 2])
def test_a_dirty_pool_is_invisible_to_sdk_clients(api, fake, local_server, seed):
    """8 dead, 6 empty and 2 healthy fresh keys, in any order: 40 of 40 requests succeed."""
    assert api.put("/api/settings", json={"check_on_import": True}).status_code == 200  # the default
    keys = import_shuffled(api, fake, {"invalid": 8, "no_balance": 6, "ok": 2}, seed)
    client = sdk(local_server, client_key(api))
    replies = [chat(client) for _ in range(40)]
    assert all(reply.choices[0].message.content for reply in replies)
    for key in keys["invalid"] + keys["no_balance"]:
        assert chat_calls(fake, key) <= 1, key
    assert sum(chat_calls(fake, key) for key in keys["ok"]) >= 40


def test_concurrent_requests_learn_from_each_other(api, fake, local_server):
    """16 requests at once over 10 dead and 2 healthy unchecked keys: no client error, and
    each dead key is asked once in all (a key never proven good serves one request at a time)."""
    dead = add_keys(api, fake, *["invalid"] * 10)
    healthy = [make_key(f"learnok{i}") for i in range(2)]
    assert api.post("/api/keys", json={"keys": healthy}).json()["added"] == 2
    mine = client_key(api)

    async def run() -> list:
        async with openai.AsyncOpenAI(base_url=f"{local_server.url}/v1", api_key=mine, max_retries=0,
                                      timeout=60) as client:
            return await asyncio.gather(*(chat(client) for _ in range(16)), return_exceptions=True)

    results = asyncio.run(run())
    assert [type(r).__name__ for r in results if isinstance(r, BaseException)] == []
    assert all(r.choices[0].message.content for r in results)
    assert [fake.count(key=key) for key in dead] == [1] * 10
    assert sum(fake.count(key=key) for key in healthy) == 16
    wait_for_status(api, dead, "invalid")  # written after the responses


def wait_for_status(api, keys, status: str, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(status_of(api, key) == status for key in keys):
            return True
        time.sleep(0.1)
    raise AssertionError(f"not all {len(keys)} keys became {status}")


def test_max_key_failovers_stops_a_walk_over_100_dead_keys(api, fake, local_server):
    add_keys(api, fake, *["invalid"] * 100)
    assert api.put("/api/settings", json={"max_key_failovers": 10, "request_deadline_s": 300}).status_code == 200
    with pytest.raises(openai.APIStatusError) as caught:
        chat(sdk(local_server, client_key(api)))
    assert caught.value.status_code == 503
    assert caught.value.body["code"] == "no_available_key"
    message = caught.value.message
    assert "tried 11 keys (11 invalid)" in message and "max_key_failovers" in message
    assert fake.calls["total"] == 11  # the first key, then 10 failovers


def test_the_deadline_stops_a_walk_over_100_slow_dead_keys(api, fake, local_server):
    add_keys(api, fake, *["invalid"] * 100)
    assert api.put("/api/settings", json={"max_key_failovers": 30, "request_deadline_s": 1}).status_code == 200
    fake.configure(latency_ms=300)
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as caught:
        chat(sdk(local_server, client_key(api)))
    elapsed = time.monotonic() - started
    assert caught.value.status_code == 503
    assert "request_deadline_s" in caught.value.message and "invalid)" in caught.value.message
    assert elapsed < 3, elapsed
    assert 3 <= fake.calls["total"] <= 6  # 0.3 s a key: the walk stopped after about a second


def test_imported_dead_keys_become_invalid_without_a_check_being_asked_for(api, fake, local_server):
    assert api.put("/api/settings", json={"check_on_import": True}).status_code == 200
    dead = [make_key(f"importdead{i}") for i in range(5)]
    for key in dead:
        fake.set_key(key, "invalid")
    alive = make_key("importalive")
    response = api.post("/api/keys", json={"keys": [*dead, alive]})
    assert response.status_code == 200, response.text
    job_id = response.json()["job"]
    assert isinstance(job_id, int)
    # Locally the job runs at once; in a Worker its first chunk ran after the import's response.
    deadline = time.monotonic() + 10
    while api.get("/api/keys", params={"status": "invalid"}).json()["total"] < 5:
        assert time.monotonic() < deadline, "the imported dead keys were not checked on their own"
        time.sleep(0.1)
    assert [status_of(api, key) for key in dead] == ["invalid"] * 5
    assert status_of(api, alive) == "valid"
    job = api.get(f"/api/jobs/{job_id}").json()
    assert (job["total"], job["invalid"]) == (6, 5)


def test_no_check_job_when_check_on_import_is_off(api, fake, local_server):
    response = api.post("/api/keys", json={"keys": [make_key("nocheck")]})
    assert response.json()["job"] is None
    time.sleep(0.3)
    assert fake.calls["total"] == 0


def test_a_bad_key_walk_reaches_a_healthy_key_later_in_the_pool(api, fake, local_server):
    """Twelve dead keys before the one healthy key: found within max_key_failovers plus attempts."""
    assert api.put("/api/settings", json={"max_key_failovers": 12}).status_code == 200
    add_keys(api, fake, *["invalid"] * 6, *["forbidden"] * 3, *["no_balance_402"] * 3, "ok")
    assert chat(sdk(local_server, client_key(api)), model=MODEL).choices[0].message.content
    assert fake.calls["total"] == 13


def test_a_short_answer_cut_off_before_the_client_saw_it_fails_over(api, fake, local_server):
    """A non-streamed answer is read whole before it is sent: one cut short goes to another key."""
    broken, good = add_keys(api, fake, "break", "ok")
    reply = chat(sdk(local_server, client_key(api)))
    assert reply.choices[0].message.content == "".join(f"tok{i} " for i in range(fake.chunks))
    assert (fake.count(key=broken), fake.count(key=good)) == (1, 1)

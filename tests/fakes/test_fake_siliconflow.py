"""Tests of the fake SiliconFlow itself, over real HTTP (httpx and the openai SDK)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai
import pytest


PAID = "deepseek-ai/DeepSeek-V3"
FREE = "Qwen/Qwen2.5-7B-Instruct"
CHAT = "/v1/chat/completions"


def post(fake, path, key="sk-ok", **body):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(fake.url + path, json=body, headers=headers, timeout=5)


def sdk(fake, key="sk-ok", **kwargs):
    return openai.OpenAI(api_key=key, base_url=fake.base_url, max_retries=0, **kwargs)


# --- ok answers ---------------------------------------------------------------

def test_chat_non_stream_with_openai_sdk(fake):
    reply = sdk(fake).chat.completions.create(model=PAID, messages=[{"role": "user", "content": "hello there"}])
    assert reply.model == PAID
    assert reply.choices[0].message.content == "tok0 tok1 tok2 tok3 tok4 "
    assert reply.choices[0].finish_reason == "stop"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens, reply.usage.total_tokens) == (2, 5, 7)


def test_chat_stream_with_openai_sdk_puts_usage_in_last_chunk(fake):
    chunks = list(sdk(fake).chat.completions.create(model=PAID, messages=[], stream=True))
    assert "".join(c.choices[0].delta.content for c in chunks) == "tok0 tok1 tok2 tok3 tok4 "
    assert [c.usage is not None for c in chunks] == [False] * 4 + [True]
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].usage.completion_tokens == 5


def test_stream_wire_format_and_max_tokens(fake):
    with httpx.stream("POST", fake.url + CHAT, headers={"Authorization": "Bearer sk-ok"},
                      json={"model": PAID, "stream": True, "max_tokens": 2}) as response:
        assert response.headers["content-type"] == "text/event-stream"
        text = response.read().decode()
    events = text.split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    last = json.loads(events[-3].removeprefix("data: "))
    assert last["choices"][0]["finish_reason"] == "length" and last["usage"]["completion_tokens"] == 2


def test_stream_chunks_arrive_separately(fake):
    fake.configure(chunk_delay_ms=200, chunks=3)
    arrivals = []
    start = time.monotonic()
    with httpx.stream("POST", fake.url + CHAT, headers={"Authorization": "Bearer sk-ok"},
                      json={"model": PAID, "stream": True}) as response:
        for line in response.iter_lines():
            if line.startswith("data: {"):
                arrivals.append(time.monotonic() - start)
    assert len(arrivals) == 3
    assert arrivals[0] < 0.15            # the first chunk is not held back...
    assert arrivals[-1] - arrivals[0] >= 0.35  # ...until the last one is sent 2 x 200 ms later


def test_latency_knob(fake):
    fake.configure(latency_ms=150)
    start = time.monotonic()
    assert post(fake, CHAT, model=PAID).status_code == 200
    assert time.monotonic() - start >= 0.15


def test_other_endpoints(fake):
    client = sdk(fake)
    emb = client.embeddings.create(model="BAAI/bge-m3", input=["a b", "c"])  # SDK asks for base64
    assert len(emb.data) == 2 and len(emb.data[0].embedding) == 8
    plain = post(fake, "/v1/embeddings", model="BAAI/bge-m3", input="a b").json()
    assert plain["data"][0]["embedding"] == pytest.approx(emb.data[0].embedding, abs=1e-5)

    rerank = post(fake, "/v1/rerank", model="BAAI/bge-reranker-v2-m3", query="q",
                  documents=["x", "y", "z"], top_n=2).json()
    assert len(rerank["results"]) == 2
    assert rerank["results"][0]["relevance_score"] >= rerank["results"][1]["relevance_score"]

    images = post(fake, "/v1/images/generations", model="Kwai-Kolors/Kolors", prompt="cat").json()
    assert images["images"][0]["url"].endswith(".png") and images["seed"] == 42

    speech = post(fake, "/v1/audio/speech", model="FunAudioLLM/CosyVoice2-0.5B", input="hi", voice="v")
    assert speech.headers["content-type"] == "audio/mpeg" and len(speech.content) == 4096
    assert speech.content == post(fake, "/v1/audio/speech", model="FunAudioLLM/CosyVoice2-0.5B",
                                  input="hi", voice="v").content

    text = client.audio.transcriptions.create(model="FunAudioLLM/SenseVoiceSmall",
                                              file=("a.mp3", b"\x00" * 1234, "audio/mpeg"))
    assert text.text and text.model_extra["bytes"] == 1234
    assert fake.calls["log"][-1]["model"] == "FunAudioLLM/SenseVoiceSmall"

    models = [m.id for m in client.models.list()]
    assert FREE in models and PAID in models

    completion = client.completions.create(model=PAID, prompt="once upon")
    assert completion.choices[0].text == "tok0 tok1 tok2 tok3 tok4 "

    echo = httpx.get(fake.url + "/v1/anything/else", headers={"Authorization": "Bearer sk-ok"}).json()
    assert echo == {"path": "/v1/anything/else", "method": "GET"}


def test_anthropic_messages(fake):
    message = post(fake, "/v1/messages", model=PAID, max_tokens=100,
                   messages=[{"role": "user", "content": "hi you"}]).json()
    assert message["type"] == "message" and message["model"] == PAID
    assert message["content"][0]["text"] == "tok0 tok1 tok2 tok3 tok4 "
    assert message["usage"] == {"input_tokens": 2, "output_tokens": 5}

    response = httpx.post(fake.url + "/v1/messages", headers={"x-api-key": "sk-ok"},
                          json={"model": PAID, "max_tokens": 100, "stream": True, "messages": []})
    names = [line.removeprefix("event: ") for line in response.text.splitlines() if line.startswith("event: ")]
    assert names == ["message_start", "content_block_start"] + ["content_block_delta"] * 5 + [
        "content_block_stop", "message_delta", "message_stop"]


def test_user_info(fake):
    fake.set_key("sk-rich", "ok", balance="12.3456", charge_balance="2.3456")
    data = httpx.get(fake.url + "/v1/user/info", headers={"Authorization": "Bearer sk-rich"}).json()
    assert data["code"] == 20000 and data["status"] is True
    assert (data["data"]["totalBalance"], data["data"]["chargeBalance"], data["data"]["balance"]) == (
        "12.3456", "2.3456", "10.0000")
    default = httpx.get(fake.url + "/v1/user/info", headers={"Authorization": "Bearer sk-new"}).json()
    assert default["data"]["totalBalance"] == "10.0"

    fake.set_key("sk-dead", "invalid")
    assert httpx.get(fake.url + "/v1/user/info", headers={"Authorization": "Bearer sk-dead"}).status_code == 401
    fake.configure(user_info_gone=True)
    for key in ("sk-rich", "sk-dead"):
        assert httpx.get(fake.url + "/v1/user/info", headers={"Authorization": f"Bearer {key}"}).status_code == 410


# --- error behaviours ---------------------------------------------------------

@pytest.mark.parametrize("behaviour, options, status, body", [
    ("invalid", {}, 401, "Api key is invalid"),
    ("no_balance", {}, 403, {"code": 30001, "message": "Sorry, your account balance is insufficient", "data": None}),
    ("no_balance_402", {}, 402, {"code": 30001, "message": "Sorry, your account balance is insufficient",
                                 "data": None}),
    ("forbidden", {}, 403, {"code": 30011, "data": None, "message": (
        "The selected model requires paid balance. Your paid balance is insufficient. Please top up and try again.")}),
    ("forbidden", {"reason": "plain"}, 403, "Forbidden"),
    ("rate_limited", {}, 429, {"code": 50602, "data": None,
                               "message": "Request was rejected due to rate limiting. Details: TPM limit reached."}),
    ("rate_limited", {"limit": "RPD", "with_code": False}, 429, {
        "data": None, "message": "Request was rejected due to rate limiting. Details: RPD limit reached."}),
    ("overloaded", {}, 503, {"code": 50505, "message": "Model service overloaded. Please try again later.",
                             "data": None}),
    ("server_error", {}, 500, None),
    ("custom", {"status": 504, "body": "string"}, 504, "string"),
])
def test_error_behaviours(fake, behaviour, options, status, body):
    fake.set_key("sk-x", behaviour, **options)
    response = post(fake, CHAT, key="sk-x", model=PAID, messages=[])
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert "retry-after" not in response.headers
    if body is not None:
        assert response.json() == body
    else:
        assert response.json()["code"] == 50500


def test_missing_key_is_401(fake):
    response = post(fake, CHAT, key=None, model=PAID)
    assert response.status_code == 401 and response.json() == "Invalid token"


def test_rate_limit_retry_after_and_sdk_errors(fake):
    fake.set_key("sk-limited", "rate_limited", retry_after=7, limit="rpm")
    response = post(fake, CHAT, key="sk-limited", model=PAID)
    assert response.headers["retry-after"] == "7" and response.json()["code"] == 50601
    with pytest.raises(openai.RateLimitError):
        sdk(fake, "sk-limited").chat.completions.create(model=PAID, messages=[])
    fake.set_key("sk-dead", "invalid")
    with pytest.raises(openai.AuthenticationError):
        sdk(fake, "sk-dead").chat.completions.create(model=PAID, messages=[])


def test_out_of_balance_key_still_serves_free_models(fake):
    fake.set_key("sk-poor", "no_balance")
    assert post(fake, CHAT, key="sk-poor", model=FREE).status_code == 200
    assert post(fake, CHAT, key="sk-poor", model=PAID).status_code == 403
    assert httpx.get(fake.url + "/v1/models", headers={"Authorization": "Bearer sk-poor"}).status_code == 200
    info = httpx.get(fake.url + "/v1/user/info", headers={"Authorization": "Bearer sk-poor"}).json()
    assert info["data"]["totalBalance"] == "0"
    fake.set_key("sk-broke", "no_balance", free_ok=False)
    assert post(fake, CHAT, key="sk-broke", model=FREE).status_code == 403


def test_no_such_model_for_any_key(fake):
    fake.set_key("sk-limited", "rate_limited")
    for key in ("sk-ok", "sk-limited"):
        response = post(fake, CHAT, key=key, model="no-such-model")
        assert response.status_code == 400 and response.json()["code"] == 20012


def test_models_and_times_options(fake):
    fake.set_key("sk-a", "overloaded", models=[PAID], times=2)
    assert post(fake, CHAT, key="sk-a", model=FREE).status_code == 200
    assert [post(fake, CHAT, key="sk-a", model=PAID).status_code for _ in range(3)] == [503, 503, 200]


def test_slow_key_times_out_and_counts_the_disconnect(fake):
    fake.set_key("sk-slow", "slow", delay=0.4)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(fake.url + CHAT, json={"model": PAID}, headers={"Authorization": "Bearer sk-slow"}, timeout=0.1)
    fake.wait_for(lambda calls: calls["disconnects"] == 1)
    start = time.monotonic()
    assert post(fake, CHAT, key="sk-slow", model=PAID).status_code == 200
    assert time.monotonic() - start >= 0.4


def test_break_stream_is_a_client_visible_error(fake):
    fake.set_key("sk-break", "break", break_after=2)
    received = []
    with pytest.raises(httpx.RemoteProtocolError):
        with httpx.stream("POST", fake.url + CHAT, headers={"Authorization": "Bearer sk-break"},
                          json={"model": PAID, "stream": True}) as response:
            assert response.status_code == 200
            for line in response.iter_lines():
                if line.startswith("data: "):
                    received.append(line)
    assert len(received) == 2 and "[DONE]" not in "".join(received)
    with pytest.raises(openai.APIError):
        list(sdk(fake, "sk-break").chat.completions.create(model=PAID, messages=[], stream=True))


def test_break_non_stream_is_a_truncated_body(fake):
    fake.set_key("sk-break", "break")
    with pytest.raises(httpx.RemoteProtocolError):
        post(fake, CHAT, key="sk-break", model=PAID)


def test_client_disconnect_mid_stream_is_counted(fake):
    fake.configure(chunk_delay_ms=100, chunks=10)
    with httpx.stream("POST", fake.url + CHAT, headers={"Authorization": "Bearer sk-ok"},
                      json={"model": PAID, "stream": True}) as response:
        next(response.iter_lines())
    calls = fake.wait_for(lambda calls: calls["disconnects"] == 1, timeout=2)
    assert calls["log"][-1]["disconnected"] is True
    # a stream read to its end is not a disconnect
    fake.configure(chunk_delay_ms=0)
    post(fake, CHAT, model=PAID, stream=True)
    time.sleep(0.05)
    assert fake.calls["disconnects"] == 1


# --- counting and control -----------------------------------------------------

def test_calls_are_counted_and_logged(fake):
    post(fake, CHAT, key="sk-a", model=PAID)
    post(fake, CHAT, key="sk-a", model=FREE, stream=True)
    httpx.get(fake.url + "/v1/models", headers={"Authorization": "Bearer sk-b"})
    calls = fake.calls
    assert calls["total"] == 3
    assert calls["by_key"] == {"sk-a": 2, "sk-b": 1}
    assert calls["by_path"] == {CHAT: 2, "/v1/models": 1}
    assert calls["by_model"] == {PAID: 1, FREE: 1}
    first = calls["log"][0]
    assert (first["key"], first["method"], first["path"], first["model"], first["stream"], first["status"]) == (
        "sk-a", "POST", CHAT, PAID, False, 200)
    assert first["headers"]["authorization"] == "Bearer sk-a" and first["body_length"] > 0
    assert calls["log"][1]["stream"] is True
    assert fake.count(key="sk-a") == 2 and fake.count(path="/v1/models") == 1
    assert fake.count(key="sk-a", path=CHAT) == 2 and fake.count() == 3


def test_control_endpoints_over_http(fake):
    control = httpx.Client(base_url=fake.url)
    assert control.post("/__fake/keys", json={"sk-h": {"behaviour": "rate_limited", "retry_after": 2}}).is_success
    assert control.post("/__fake/config", json={"chunks": 2, "user_info_gone": True}).json()["chunks"] == 2
    assert control.post("/__fake/keys", json={"sk-h": {"behaviour": "nonsense"}}).status_code == 400
    assert post(fake, CHAT, key="sk-h", model=PAID).headers["retry-after"] == "2"
    assert post(fake, CHAT, key="sk-ok", model=PAID).json()["usage"]["completion_tokens"] == 2
    calls = control.get("/__fake/calls").json()
    assert calls["total"] == 2 and calls["by_key"] == {"sk-h": 1, "sk-ok": 1}
    assert control.post("/__fake/reset", json={"calls_only": True}).is_success
    assert control.get("/__fake/calls").json()["total"] == 0 and "sk-h" in control.get("/__fake/keys").json()
    assert control.post("/__fake/reset").is_success
    assert control.get("/__fake/keys").json() == {} and control.get("/__fake/config").json()["chunks"] == 5


def test_separate_process_mode(tmp_path):
    script = Path(__file__).with_name("siliconflow.py")
    process = subprocess.Popen([sys.executable, str(script), "--port", "0", "--latency-ms", "1"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("READY "), process.stderr.read()
        url = f"http://127.0.0.1:{int(line.split()[1])}"
        httpx.post(url + "/__fake/keys", json={"sk-dead": {"behaviour": "invalid"}}).raise_for_status()
        assert httpx.post(url + CHAT, json={"model": PAID}, headers={"Authorization": "Bearer sk-dead"}
                          ).status_code == 401
        assert httpx.get(url + "/__fake/calls").json()["by_key"] == {"sk-dead": 1}
    finally:
        process.terminate()
        assert process.wait(10) == 0

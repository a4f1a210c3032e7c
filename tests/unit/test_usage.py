import json

from keypool.core.usage import UsageReader


def sse(events):
    return b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events) + b"data: [DONE]\n\n"


def test_reads_usage_from_the_final_sse_chunk_fed_in_small_pieces():
    events = [{"choices": [{"delta": {"content": "x" * 50}}], "usage": None} for _ in range(500)]
    events.append({"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 345, "total_tokens": 357}})
    data = sse(events)
    reader = UsageReader()
    for i in range(0, len(data), 7):
        reader.feed(data[i:i + 7])
    usage = reader.usage()
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total) == (12, 345, 357)
    assert len(reader.head) + len(reader.tail) <= 4096 + 8192


def test_reads_usage_from_json_and_anthropic_streams():
    reader = UsageReader()
    reader.feed(json.dumps({"usage": {"prompt_tokens": 3, "completion_tokens": 4}}).encode())
    assert (reader.usage().prompt_tokens, reader.usage().completion_tokens) == (3, 4)

    reader = UsageReader()
    reader.feed(b'event: message_start\ndata: {"message": {"usage": {"input_tokens": 25, "output_tokens": 1}}}\n\n')
    reader.feed(b"data: " + b"x" * 20000 + b"\n\n")
    reader.feed(b'event: message_delta\ndata: {"usage": {"output_tokens": 15}}\n\n')
    assert (reader.usage().prompt_tokens, reader.usage().completion_tokens) == (25, 15)


def test_no_usage_is_none_not_zero():
    reader = UsageReader()
    reader.feed(b"\x00\x01binary audio")
    assert reader.usage().prompt_tokens is None


def test_a_stream_cut_short_is_charged_what_passed():
    data = sse([{"choices": [{"delta": {"content": f"t{i}"}}]} for i in range(7)])[:-len(b"data: [DONE]\n\n")]
    reader = UsageReader()
    for i in range(0, len(data), 3):  # "data:" split across pieces is still counted once
        reader.feed(data[i:i + 3])
    usage = reader.estimate(request_bytes=41)
    assert (usage.prompt_tokens, usage.completion_tokens) == (11, 7)


def test_reported_usage_wins_over_the_estimate():
    reader = UsageReader()
    reader.feed(sse([{"usage": {"prompt_tokens": 3, "completion_tokens": 9}}]))
    usage = reader.estimate(request_bytes=4000)
    assert (usage.prompt_tokens, usage.completion_tokens) == (3, 9)

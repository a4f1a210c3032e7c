import json

import pytest

from keypool.core.json_body import MAX_DEPTH, loads, too_deep


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_ordinary_bodies_parse():
    body = {"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "text": "[[[{{{"}]}],
            "tools": [{"function": {"parameters": {"type": "object", "properties": {"a": {"type": "array"}}}}}]}
    assert loads(json.dumps(body).encode()) == body
    assert loads(nested(MAX_DEPTH)) is not None


def test_deep_bodies_are_refused_before_parsing():
    for depth in (MAX_DEPTH + 1, 400, 100_000):
        assert too_deep(nested(depth))
        with pytest.raises(ValueError, match="nested deeper"):
            loads(nested(depth))
    assert too_deep(b'{"a":' * 70 + b"1" + b"}" * 70)


def test_brackets_inside_strings_do_not_count():
    text = json.dumps({"keys": "[" * 500 + '\\"' + "{" * 500, "x": ["a\\\\", "]" * 3]}).encode()
    assert not too_deep(text)
    assert loads(text)["keys"].startswith("[[[")


def test_escaped_quotes_do_not_end_a_string_early():
    sneaky = b'["\\"' + b"[" * 200 + b'"]'   # the brackets are inside the string
    assert not too_deep(sneaky)
    hostile = b'["\\\\"' + b"[" * 200  # an escaped backslash: the string ends, the brackets are real
    assert too_deep(hostile)

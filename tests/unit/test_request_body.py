import pytest

from keypool.core.json_body import MAX_DEPTH
from keypool.core.request_body import MAX_MODEL_LENGTH, BodyError, check_model_name, read_asked


def multipart(fields, boundary="b0undary"):
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value + b"\r\n"
                    for name, value in fields)
    return body + f"--{boundary}--\r\n".encode(), f'multipart/form-data; boundary="{boundary}"'


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "", "application/octet-stream"])
def test_json_is_read_whatever_the_content_type_says(content_type):
    asked = read_asked(b' {"model": "deepseek-ai/DeepSeek-V3", "stream": true}', content_type)
    assert (asked.model, asked.stream, asked.determined) == ("deepseek-ai/DeepSeek-V3", True, True)


def test_no_body_asks_for_nothing_and_that_is_known():
    asked = read_asked(b"", "application/json")
    assert (asked.model, asked.determined) == ("", True)


@pytest.mark.parametrize("body", [b'{"messages": []}', b"[1, 2]", b"not json", b'{"model": "m"', b"\xff\xfe{"])
def test_a_body_without_a_readable_model_is_undetermined(body):
    assert read_asked(body, "application/json").determined is False


def test_multipart_model_after_a_large_part():
    body, content_type = multipart([("file", b"\x00" * 200_000 + b'name="model"\r\n\r\nfake\r\n'),
                                    ("model", b"FunAudioLLM/SenseVoiceSmall")])
    asked = read_asked(body, content_type)
    assert (asked.model, asked.determined) == ("FunAudioLLM/SenseVoiceSmall", True)


def test_multipart_and_json_naming_two_models_are_refused():
    body, content_type = multipart([("model", b"a/b"), ("model", b"c/d")])
    with pytest.raises(BodyError):
        read_asked(body, content_type)
    with pytest.raises(BodyError):
        read_asked(b'{"model": "a/b", "model": "c/d"}', "application/json")
    # the same name twice deeper in the body is no second model
    assert read_asked(b'{"model": "a/b", "tools": [{"model": 1, "model": 2}]}', "").model == "a/b"


def test_form_bodies():
    assert read_asked(b"model=a%2Fb&stream=true", "application/x-www-form-urlencoded").model == "a/b"


@pytest.mark.parametrize("name", ["deepseek-ai/DeepSeek-V3", "Pro/deepseek-ai/DeepSeek-R1", "fishaudio/fish-speech-1.5",
                                  "Qwen/Qwen2.5-7B-Instruct", "gpt-4o:latest", "a" * MAX_MODEL_LENGTH])
def test_real_model_names_pass(name):
    assert check_model_name(name) == name


@pytest.mark.parametrize("name", ["*", "", "-x", " a", "a b", "a\nb", "模型", "a" * (MAX_MODEL_LENGTH + 1), 7, None])
def test_odd_model_names_are_refused(name):
    with pytest.raises(BodyError):
        check_model_name(name)


def test_deep_nesting_is_refused_before_json_loads_sees_it():
    for opener, closer in ((b"[", b"]"), (b'{"a":', b"}")):
        with pytest.raises(BodyError):
            read_asked(b'{"model": "m", "x": ' + opener * 100_000 + b"1" + closer * 100_000 + b"}", "")


def test_many_brackets_that_do_not_nest_deeply_still_parse():
    wide = b'{"model": "m", "x": [' + b"[]," * (MAX_DEPTH * 30) + b"[]]}"
    assert read_asked(wide, "").model == "m"
    text = b'{"model": "m", "messages": [{"content": "' + b"{[" * MAX_DEPTH * 3 + b'"}]}'
    assert read_asked(text, "").model == "m"

"""What a /v1 request asks for: its model and whether it wants a stream.

Read from the body whatever its content type says (a JSON body sent as
text/plain is still JSON to the upstream), multipart and form bodies
included, all the way to the body cap: a model allowlist must not be
escaped by a misleading header or a large part before the model field.
Model names are checked here so that no client can name something the
pool would misread (an empty or wildcard-looking name, a 5 MB string).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qs

from .json_body import MAX_DEPTH, too_deep

MAX_MODEL_LENGTH = 200
# SiliconFlow's names: "deepseek-ai/DeepSeek-V3", "Pro/deepseek-ai/DeepSeek-R1", "fishaudio/fish-speech-1.5".
_MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+@-]*")
_BOUNDARY = re.compile(r'boundary="?([^";]{1,200})"?', re.IGNORECASE)
_JSON_OBJECT = re.compile(rb"\s*\{")
_PART_NAME = re.compile(rb'(?im)^content-disposition:[^\r\n]*;\s*name="?([^";\r\n]*)"?')


class BodyError(ValueError):
    """The request names its model in a way the pool refuses (the message says how)."""


@dataclass(frozen=True)
class Asked:
    model: str          # "" when the request names none
    stream: bool
    determined: bool    # False: a body whose model could not be read (not JSON, no model field)


NOTHING = Asked("", False, True)


def check_model_name(model: object) -> str:
    if not isinstance(model, str):
        raise BodyError('"model" must be a string')
    if len(model) > MAX_MODEL_LENGTH or not _MODEL_NAME.fullmatch(model):
        raise BodyError(f'"model" must be 1 to {MAX_MODEL_LENGTH} letters, digits and . _ : / + @ -, '
                        f"starting with a letter or digit")
    return model


class _Object(dict):
    """A parsed JSON object that remembers whether it held "model" more than once."""

    __slots__ = ("models",)


def _object(pairs: list[tuple[str, object]]) -> _Object:
    obj = _Object(pairs)
    obj.models = sum(1 for name, _ in pairs if name == "model")
    return obj


def _json(body: bytes) -> Asked:
    if too_deep(body):  # json.loads would take Pyodide's stack, and the isolate, down (core/json_body.py)
        raise BodyError(f"request body is nested too deeply (more than {MAX_DEPTH} levels)")
    try:
        data = json.loads(body, object_pairs_hook=_object)
    except RecursionError:
        raise BodyError("request body is nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        return Asked("", False, False)
    if not isinstance(data, dict):
        return Asked("", False, False)
    if data.models > 1:
        raise BodyError('the request body names "model" more than once')
    if "model" not in data:
        return Asked("", data.get("stream") is True, False)
    return Asked(check_model_name(data["model"]), data.get("stream") is True, True)


def _multipart(body: bytes, content_type: str) -> Asked:
    found = _BOUNDARY.search(content_type)
    if not found:
        return Asked("", False, False)
    opening = b"--" + found.group(1).encode("latin-1")
    delimiter = b"\r\n" + opening
    if body.startswith(opening):
        start = len(opening)
    else:
        pos = body.find(delimiter)
        if pos < 0:
            return Asked("", False, False)
        start = pos + len(delimiter)
    values: list[bytes] = []
    while not body.startswith(b"--", start):  # "--" right after a delimiter ends the body
        end = body.find(delimiter, start)
        if end < 0:
            break  # no closing delimiter: the part is cut off
        head_end = body.find(b"\r\n\r\n", start, end)
        if head_end >= 0:  # only the part's headers are copied, never its content
            name = _PART_NAME.search(body[start:head_end])
            if name and name.group(1) == b"model":
                if end - head_end - 4 > 4 * MAX_MODEL_LENGTH:
                    raise BodyError(f'"model" must be at most {MAX_MODEL_LENGTH} characters')
                values.append(body[head_end + 4:end])
        start = end + len(delimiter)
    if not values:
        return Asked("", False, False)
    if len(set(values)) > 1:
        raise BodyError('the request body names "model" more than once')
    try:
        model = values[0].decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError('"model" must be UTF-8 text') from None
    return Asked(check_model_name(model), False, True)


def _form(body: bytes) -> Asked:
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return Asked("", False, False)
    models = fields.get("model")
    if not models:
        return Asked("", False, False)
    if len(set(models)) > 1:
        raise BodyError('the request body names "model" more than once')
    return Asked(check_model_name(models[0]), fields.get("stream") == ["true"], True)


def read_asked(body: bytes, content_type: str) -> Asked:
    """The model and stream flag a body asks for; raises BodyError for a bad model name."""
    if not body:
        return NOTHING
    kind = content_type.lower()
    if "multipart/form-data" in kind:
        return _multipart(body, content_type)
    if "application/x-www-form-urlencoded" in kind:
        return _form(body)
    if _JSON_OBJECT.match(body):
        return _json(body)
    return Asked("", False, False)

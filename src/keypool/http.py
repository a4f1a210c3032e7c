"""The app's own small HTTP layer: a Request and a Response both shells convert to and from."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qs

from .core import json_body


def _is_text(value: Any) -> bool:
    """False if a string anywhere in parsed JSON holds an unpaired surrogate
    ("\\udcff" is valid JSON but no text: it can be neither stored nor shown)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, list):
        return all(_is_text(item) for item in value)
    if isinstance(value, dict):
        return all(_is_text(k) and _is_text(v) for k, v in value.items())
    return True


def _run_now(awaitable: Awaitable[Any]) -> None:  # pragma: no cover - replaced by shells
    raise RuntimeError("no deferral available outside a shell")


@dataclass
class Request:
    method: str
    path: str
    query_string: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    client_ip: str = ""
    scheme: str = "http"
    # Lets handlers finish work after the response (ctx.waitUntil / a task).
    defer: Callable[[Awaitable[Any]], None] = _run_now
    path_params: dict[str, Any] = field(default_factory=dict)
    # Set by the app from the admin session cookie (see auth.Auth).
    session_user: str | None = None
    csrf_failed: bool = False
    # Who else is calling, for the audit trail: "token" (the bearer ADMIN_TOKEN), "guest".
    principal: str | None = None
    # The admin session behind session_user (see auth.Auth), for sign-out.
    session: Any = None
    # The address is outside admin_ip_allowlist: no admin credential counts.
    admin_blocked: bool = False

    @property
    def query(self) -> dict[str, str]:
        """First value of each query parameter."""
        return {k: v[0] for k, v in parse_qs(self.query_string, keep_blank_values=True).items()}

    def json(self) -> Any:
        if not self.body:
            raise HTTPError(400, "request body must be JSON")
        try:
            data = json_body.loads(self.body)
            text = _is_text(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise HTTPError(400, f"request body is not valid JSON: {exc}") from None
        if not text:
            raise HTTPError(400, "request body contains an unpaired UTF-16 surrogate (\\ud800-\\udfff)")
        return data

    def json_object(self) -> dict[str, Any]:
        data = self.json()
        if not isinstance(data, dict):
            raise HTTPError(400, "request body must be a JSON object")
        return data

    def bearer_token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return token.strip()


@dataclass
class Response:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    # bytes, or a runtime stream produced by an UpstreamResponse.relay()
    body: Any = b""

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: list[tuple[str, str]] | None = None) -> "Response":
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        return cls(status, [("content-type", "application/json; charset=utf-8"), *(headers or [])], body)

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = "text/plain; charset=utf-8",
             headers: list[tuple[str, str]] | None = None) -> "Response":
        return cls(status, [("content-type", content_type), *(headers or [])], text.encode())

    @classmethod
    def error(cls, status: int, message: str, type_: str | None = None, code: str | None = None,
              headers: list[tuple[str, str]] | None = None, param: str | None = None) -> "Response":
        """OpenAI's error shape, used for every error the pool itself answers;
        `param` names the field at fault, where there is one."""
        error = {"message": message, "type": type_ or error_type(status), "code": code}
        if param is not None:
            error["param"] = param
        return cls.json({"error": error}, status, headers)


def error_type(status: int) -> str:
    return {
        400: "invalid_request_error",
        401: "authentication_error",
        403: "permission_error",
        404: "not_found_error",
        405: "invalid_request_error",
        413: "invalid_request_error",
        429: "rate_limit_error",
    }.get(status, "api_error" if status >= 500 else "invalid_request_error")


class HTTPError(Exception):
    """Raised by handlers for a clean 4xx/5xx with a message."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 headers: list[tuple[str, str]] | None = None, param: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or []
        self.param = param

    def to_response(self) -> Response:
        return Response.error(self.status, self.message, code=self.code, headers=self.headers, param=self.param)

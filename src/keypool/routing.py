"""Path routing that tells an unknown path (404) from a wrong method (405)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any, Awaitable, Callable

from .http import HTTPError, Request, Response

Handler = Callable[[Request], Awaitable[Response]]

_PARAM = re.compile(r"\{(\w+)(?::(int|path))?\}")
# An id of more than 15 digits names nothing (see handlers/params.py): it never reaches SQL.
_CONVERTERS = {None: (r"[^/]+", str), "int": (r"[0-9]{1,15}", int), "path": (r".*", str)}


class Match(Enum):
    NONE = 0
    PARTIAL = 1  # path matches, method does not
    FULL = 2


@dataclass
class Route:
    path: str
    handler: Handler
    methods: tuple[str, ...]

    def __post_init__(self) -> None:
        pattern, self._convert = "", {}
        last = 0
        for m in _PARAM.finditer(self.path):
            regex, convert = _CONVERTERS[m.group(2)]
            pattern += re.escape(self.path[last:m.start()]) + f"(?P<{m.group(1)}>{regex})"
            self._convert[m.group(1)] = convert
            last = m.end()
        self._regex = re.compile("^" + pattern + re.escape(self.path[last:]) + "$")

    def matches(self, method: str, path: str) -> tuple[Match, dict[str, Any]]:
        m = self._regex.match(path)
        if not m:
            return Match.NONE, {}
        params = {k: self._convert[k](v) for k, v in m.groupdict().items()}
        return (Match.FULL if method in self.methods else Match.PARTIAL), params


class Router:
    def __init__(self, routes: list[Route]):
        self.routes = routes

    async def __call__(self, request: Request) -> Response:
        allowed: list[str] = []
        method = "GET" if request.method == "HEAD" else request.method
        for route in self.routes:
            match, params = route.matches(method, request.path)
            if match is Match.FULL:
                request.path_params = params
                return await route.handler(request)
            if match is Match.PARTIAL:
                allowed.extend(route.methods)
        if allowed:
            raise HTTPError(405, f"method {request.method} not allowed on {request.path}",
                            headers=[("allow", ", ".join(sorted(set(allowed))))])
        raise HTTPError(404, f"no route for {request.path}")

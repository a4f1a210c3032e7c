"""Liveness."""

from __future__ import annotations

from ..http import Request, Response
from ..routing import Route


def routes() -> list[Route]:
    async def healthz(request: Request) -> Response:
        return Response.json({"ok": True})

    return [Route("/healthz", healthz, ("GET",))]

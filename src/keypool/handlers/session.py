"""Admin sign-in: GET/POST /api/login, POST /api/logout, GET /api/session."""

from __future__ import annotations

import json

from ..auth import AdminSessions
from ..http import Request, Response
from ..routing import Route


def routes(sessions: AdminSessions) -> list[Route]:
    async def login_state(request: Request) -> Response:
        """Whether sign-in is on, and whether this browser is signed in already: the sign-in
        page asks once, without a 401 in the console of everyone who is not signed in yet."""
        state = json.loads((await sessions.info(request)).body)
        state["signed_in"] = request.session_user is not None
        return Response.json(state, headers=[("cache-control", "no-store")])

    return [
        Route("/api/login", login_state, ("GET",)),
        Route("/api/login", sessions.login, ("POST",)),
        Route("/api/logout", sessions.logout, ("POST",)),
        Route("/api/session", sessions.current, ("GET",)),
    ]

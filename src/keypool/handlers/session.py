"""Admin sign-in: GET/POST /api/login, POST /api/logout, GET /api/session."""

from __future__ import annotations

from ..auth import AdminSessions
from ..routing import Route


def routes(sessions: AdminSessions) -> list[Route]:
    return [
        Route("/api/login", sessions.info, ("GET",)),
        Route("/api/login", sessions.login, ("POST",)),
        Route("/api/logout", sessions.logout, ("POST",)),
        Route("/api/session", sessions.current, ("GET",)),
    ]

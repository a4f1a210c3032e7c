"""Admin sign-in: GET/POST /api/login, POST /api/logout, GET /api/session, and the
account actions: sign out everywhere, change the password."""

from __future__ import annotations

from ..auth import Auth
from ..routing import Route


def routes(auth: Auth) -> list[Route]:
    return [
        Route("/api/login", auth.info, ("GET",)),
        Route("/api/login", auth.login, ("POST",)),
        Route("/api/logout", auth.logout, ("POST",)),
        Route("/api/session", auth.current, ("GET",)),
        Route("/api/sessions/revoke", auth.sign_out_everywhere, ("POST",)),
        Route("/api/account/password", auth.change_password, ("POST",)),
    ]

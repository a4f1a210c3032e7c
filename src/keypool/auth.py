"""Who may call what: the admin (bearer token) for /api."""

from __future__ import annotations

import hmac

from .http import HTTPError, Request
from .settings import Settings


def is_admin(request: Request, settings: Settings) -> bool:
    token = request.bearer_token()
    return bool(settings.admin_token and token
                and hmac.compare_digest(token.encode(), settings.admin_token.encode()))


def require_admin(request: Request, settings: Settings) -> None:
    if not settings.admin_token:
        raise HTTPError(401, "the admin API is locked: set ADMIN_TOKEN (a Worker secret or an "
                             "environment variable) and send it as 'Authorization: Bearer <token>'")
    if not is_admin(request, settings):
        raise HTTPError(401, "missing or wrong admin token", code="invalid_admin_token")

"""The admin API over client keys: create (shown once), list, edit, delete."""

from __future__ import annotations

from typing import Any

from ..auth import require_admin
from ..clients import ClientGate
from ..core.client_keys import hash_client_key, hint, new_client_key
from ..http import HTTPError, Request, Response
from ..routing import Route
from ..services import Services
from ..store.client_keys import EDITABLE
from .params import json_int


def _optional_int(body: dict[str, Any], name: str, low: int = 0) -> int | None:
    value = body.get(name)
    return None if value is None else json_int(value, name, low)


def validate_fields(body: dict[str, Any], creating: bool) -> dict[str, Any]:
    unknown = set(body) - set(EDITABLE)
    if unknown:
        raise HTTPError(400, f"unknown field(s): {', '.join(sorted(unknown))}")
    fields: dict[str, Any] = {}
    if "name" in body or creating:
        name = body.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise HTTPError(400, "name must be a non-empty string of at most 100 characters")
        fields["name"] = name.strip()
    for flag in ("enabled", "allow_upstream_key"):
        if flag in body:
            if not isinstance(body[flag], bool):
                raise HTTPError(400, f"{flag} must be true or false")
            fields[flag] = body[flag]
    for number in ("expires_at", "rpm_limit", "request_quota", "token_quota"):
        if number in body:
            fields[number] = _optional_int(body, number, 1 if number == "rpm_limit" else 0)
    if "models" in body:
        models = body["models"]
        if models is not None and (not isinstance(models, list)
                                   or not all(isinstance(m, str) and m for m in models)):
            raise HTTPError(400, "models must be a list of model names, or null for any model")
        fields["models"] = models or None
    return fields


def routes(services: Services, gate: ClientGate) -> list[Route]:
    store, settings, clock = services.store, services.settings, services.clock

    async def create(request: Request) -> Response:
        require_admin(request, settings)
        fields = validate_fields(request.json_object(), creating=True)
        name = fields.pop("name")
        key = new_client_key()
        client_id = await store.client_keys.create(name, hash_client_key(key), hint(key), int(clock.now()), fields)
        created = await store.client_keys.get(client_id)
        await services.audit.record(request, "client_keys.create", detail={"id": client_id, "name": name})
        return Response.json({**created, "key": key}, status=201, headers=[("cache-control", "no-store")])

    async def list_all(request: Request) -> Response:
        require_admin(request, settings)
        return Response.json({"items": await store.client_keys.list()})

    async def update(request: Request) -> Response:
        require_admin(request, settings)
        client_id = request.path_params["id"]
        fields = validate_fields(request.json_object(), creating=False)
        if not await store.client_keys.get(client_id):
            raise HTTPError(404, f"no client key {client_id}")
        await store.client_keys.update(client_id, fields)
        gate.invalidate()
        await services.audit.record(request, "client_keys.update", detail={"id": client_id, "fields": sorted(fields)})
        return Response.json(await store.client_keys.get(client_id))

    async def delete(request: Request) -> Response:
        require_admin(request, settings)
        client_id = request.path_params["id"]
        if not await store.client_keys.delete(client_id):
            raise HTTPError(404, f"no client key {client_id}")
        gate.invalidate()
        await services.audit.record(request, "client_keys.delete", detail={"id": client_id})
        return Response.json({"deleted": client_id})

    return [
        Route("/api/client-keys", list_all, ("GET",)),
        Route("/api/client-keys", create, ("POST",)),
        Route("/api/client-keys/{id:int}", update, ("PUT", "PATCH")),
        Route("/api/client-keys/{id:int}", delete, ("DELETE",)),
    ]

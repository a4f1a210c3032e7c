"""Static files of the admin UI, from the Assets port (files locally, KV in the Worker)."""

from __future__ import annotations

from ..http import HTTPError, Request, Response
from ..routing import Route
from ..services import Services


def routes(services: Services) -> list[Route]:
    assets = services.assets

    async def serve(name: str) -> Response:
        if ".." in name.split("/"):
            raise HTTPError(404, "no such file")
        asset = await assets.get(name)
        if asset is None:
            raise HTTPError(404, f"no such file: {name}")
        cache = "no-cache" if name.endswith(".html") else "public, max-age=300"
        return Response(200, [("content-type", asset.content_type), ("cache-control", cache)], asset.body)

    async def index(request: Request) -> Response:
        return await serve("index.html")

    async def static(request: Request) -> Response:
        return await serve(request.path_params["name"])

    return [
        Route("/", index, ("GET",)),
        Route("/static/{name:path}", static, ("GET",)),
    ]

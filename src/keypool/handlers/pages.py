"""The admin UI: its pages (one HTML shell for every page path) and static files,
from the Assets port (files locally, KV in the Worker).

Every HTML answer carries a strict Content-Security-Policy: scripts only from
this origin, no inline script, and fetches only to this origin and the
upstream (the browser checks keys against SiliconFlow itself when
client-side checking is on). Every file has an ETag and answers
If-None-Match with 304; HTML and our own files are revalidated on each load,
versioned files under vendor/ are cached for a year.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from ..http import HTTPError, Request, Response
from ..ports import Asset
from ..routing import Route
from ..services import Services

SHELL = "index.html"
PAGE_PATHS = ("/", "/admin", "/keys", "/logs", "/settings", "/docs")
# Paths that answer JSON (or files) even when unknown: everything else gets the HTML 404 page.
_NOT_PAGES = ("/api/", "/v1/", "/static/")
REVALIDATE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"


def is_page_path(path: str) -> bool:
    return not path.startswith(_NOT_PAGES) and path not in ("/api", "/v1", "/static")


def content_security_policy(upstream_base_url: str) -> str:
    upstream = urlsplit(upstream_base_url)
    connect = "'self'" + (f" {upstream.scheme}://{upstream.netloc}" if upstream.scheme and upstream.netloc else "")
    return ("default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
            f"frame-ancestors 'none'; form-action 'self'; connect-src {connect}")


def etag_of(asset: Asset) -> str:
    return '"' + (asset.etag or hashlib.sha256(asset.body).hexdigest()[:32]) + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return any(tag == "*" or tag.removeprefix("W/") == etag for tag in tags)


class Pages:
    def __init__(self, services: Services):
        self.assets = services.assets
        self.html_headers = [
            ("content-security-policy", content_security_policy(services.settings.upstream_base_url)),
            ("referrer-policy", "no-referrer"),
        ]

    def routes(self) -> list[Route]:
        return [
            *(Route(path, self.page, ("GET",)) for path in PAGE_PATHS),
            Route("/static/{name:path}", self.static, ("GET",)),
        ]

    async def page(self, request: Request) -> Response:
        return await self._serve(request, SHELL)

    async def static(self, request: Request) -> Response:
        return await self._serve(request, request.path_params["name"])

    async def not_found(self, request: Request) -> Response:
        """The shell with status 404: its script sees an unknown path and shows the translated 404 page."""
        try:
            asset = await self.assets.get(SHELL)
        except Exception:  # the store is down: a 404 must still be a 404
            asset = None
        if asset is None:
            return Response.text("404 page not found", 404)
        return Response(404, [("content-type", asset.content_type), ("cache-control", REVALIDATE),
                              *self.html_headers], asset.body)

    async def _serve(self, request: Request, name: str) -> Response:
        if ".." in name.split("/"):
            raise HTTPError(404, "no such file")
        asset = await self.assets.get(name)
        if asset is None:
            raise HTTPError(404, f"no such file: {name}")
        etag = etag_of(asset)
        headers = [("etag", etag), ("cache-control", IMMUTABLE if name.startswith("vendor/") else REVALIDATE)]
        if asset.content_type.startswith("text/html"):
            headers += self.html_headers
        if _matches(request.headers.get("if-none-match", ""), etag):
            return Response(304, headers)
        return Response(200, [("content-type", asset.content_type), *headers], asset.body)

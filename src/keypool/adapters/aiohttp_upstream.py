"""The Upstream port on aiohttp (local server).

aiohttp, not httpx: against the same loopback upstream at 16 concurrent
requests, httpx's pool served ~750 requests/s and aiohttp ~13,000 (see
bench/), and the proxy's own overhead is what users pay on every call.
"""

from __future__ import annotations

import asyncio
from typing import AsyncIterator

import aiohttp

from ..core.sse import error_event
from ..ports import CLIENT_GONE, StreamObserver, UpstreamError

# Hop-by-hop and length headers the relay must not copy.
_DROP_RESPONSE_HEADERS = {"content-length", "transfer-encoding", "connection", "keep-alive"}
_BROKEN = (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError)


class AiohttpResponse:
    def __init__(self, response: aiohttp.ClientResponse):
        self._response = response
        self.status = response.status
        self.headers = [(k.lower(), v) for k, v in response.headers.items()
                        if k.lower() not in _DROP_RESPONSE_HEADERS]
        self.length = response.content_length

    async def read(self, limit: int = 1 << 20) -> bytes:
        data = bytearray()
        try:
            while len(data) < limit:
                chunk = await self._response.content.read(limit - len(data))
                if not chunk:
                    break
                data += chunk
        except _BROKEN:
            pass  # a partial error body is still worth classifying
        finally:
            self._response.close()
        return bytes(data)

    def relay(self, observer: StreamObserver | None, sse: bool) -> AsyncIterator[bytes]:
        return self._relay(observer, sse)

    async def _relay(self, observer: StreamObserver | None, sse: bool) -> AsyncIterator[bytes]:
        error = None
        complete = False
        try:
            async for chunk in self._response.content.iter_any():
                if observer is not None:
                    observer.feed(chunk)
                yield chunk
            complete = True
        except _BROKEN as exc:
            error = f"upstream stream broke: {type(exc).__name__}"
            if sse:
                yield error_event(error)
        finally:
            # Also runs when the client went away (the generator is closed):
            # closing the connection cancels the upstream request.
            if complete:
                self._response.release()
            else:
                self._response.close()
            if observer is not None:
                observer.finish(None if complete else error or CLIENT_GONE)

    async def close(self) -> None:
        self._response.close()


class AiohttpUpstream:
    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:  # created inside the running loop
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300),
                auto_decompress=False,
                # usage is read from the relayed bytes: ask for them uncompressed
                skip_auto_headers=("accept-encoding", "user-agent", "content-type"),
            )
        return self._session

    async def send(self, method: str, url: str, headers: list[tuple[str, str]],
                   body: bytes | None, timeout: float, defer: object = None) -> AiohttpResponse:
        try:
            response = await self._client().request(
                method, url, headers=[*headers, ("accept-encoding", "identity")], data=body,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=min(timeout, 10.0), sock_read=timeout),
                allow_redirects=False,
            )
        except asyncio.TimeoutError:
            raise UpstreamError("upstream timed out", timeout=True) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise UpstreamError(f"upstream unreachable ({type(exc).__name__})") from None
        return AiohttpResponse(response)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

"""The Upstream port on httpx (local server)."""

from __future__ import annotations

import json
from typing import Any, AsyncIterator

import httpx

from ..ports import StreamObserver, UpstreamError

# Hop-by-hop and length headers the relay must not copy.
_DROP_RESPONSE_HEADERS = {"content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding"}


def sse_error_event(message: str) -> bytes:
    payload = {"error": {"message": message, "type": "upstream_error", "code": "stream_broken"}}
    return f"data: {json.dumps(payload)}\n\n".encode()


class HttpxResponse:
    def __init__(self, response: httpx.Response):
        self._response = response
        self.status = response.status_code
        self.headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _DROP_RESPONSE_HEADERS]

    async def read(self, limit: int = 1 << 20) -> bytes:
        data = bytearray()
        try:
            async for chunk in self._response.aiter_bytes():
                data += chunk
                if len(data) >= limit:
                    break
        except httpx.HTTPError:
            pass  # a partial error body is still worth classifying
        finally:
            await self._response.aclose()
        return bytes(data[:limit])

    def relay(self, observer: StreamObserver | None, sse: bool) -> AsyncIterator[bytes]:
        return self._relay(observer, sse)

    async def _relay(self, observer: StreamObserver | None, sse: bool) -> AsyncIterator[bytes]:
        error = None
        try:
            async for chunk in self._response.aiter_bytes():
                if observer is not None:
                    observer.feed(chunk)
                yield chunk
        except httpx.HTTPError as exc:
            error = f"upstream stream broke: {type(exc).__name__}"
            if sse:
                yield sse_error_event(error)
        finally:
            # Runs on completion and when the client goes away (generator closed):
            # closing the response cancels the upstream request.
            await self._response.aclose()
            if observer is not None:
                observer.finish(error)

    async def close(self) -> None:
        await self._response.aclose()


class HttpxUpstream:
    def __init__(self, client: httpx.AsyncClient | None = None):
        self.client = client or httpx.AsyncClient(
            limits=httpx.Limits(max_connections=512, max_keepalive_connections=64),
            # decompression would break the relayed content-encoding; ask for identity
            headers={"accept-encoding": "identity"},
        )

    async def send(self, method: str, url: str, headers: list[tuple[str, str]],
                   body: bytes | None, timeout: float) -> HttpxResponse:
        request = self.client.build_request(
            method, url, headers=headers, content=body,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        )
        try:
            response = await self.client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise UpstreamError(f"upstream timed out ({type(exc).__name__})", timeout=True) from None
        except httpx.HTTPError as exc:
            raise UpstreamError(f"upstream unreachable ({type(exc).__name__})") from None
        return HttpxResponse(response)

    async def aclose(self) -> None:
        await self.client.aclose()

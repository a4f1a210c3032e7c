"""The baseline of bench/worker_cold_start_bench.py: a Python Worker that answers "ok"."""

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("ok")

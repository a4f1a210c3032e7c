"""The Database port on a Cloudflare D1 binding (Worker).

Works on the raw JS binding. Inside workerd the runtime SDK hands `env.DB` over
wrapped (its `_BindingWrapper` converts every argument and result for RPC); we
unwrap it so that rows, NULLs and numbers are converted one way, here, in every
runtime (workerd, and Miniflare's binding in the offline test harness).
"""

from __future__ import annotations

from typing import Any, Sequence

import js
from pyodide.ffi import JsException, jsnull, to_js

from ..ports import DatabaseError, Params, RunResult


def _describe(sql: str) -> str:
    return " ".join(sql.split())[:120]


def _message(exc: Exception) -> str:
    text = getattr(exc, "message", None) or str(exc)
    # D1 type errors quote the offending value ("... for value 'x'"): keep parameters out of logs.
    cut = text.find(" for value ")
    return text[:cut] if cut >= 0 else text


def _param(value: Any, sql: str) -> Any:
    if value is None:
        return jsnull  # a Python None would arrive as `undefined`, which D1 refuses
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float, str)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return to_js(bytes(value))
    raise DatabaseError(f"cannot bind a {type(value).__name__} parameter in: {_describe(sql)}")


def _rows(results: Any) -> list[dict[str, Any]]:
    """D1 rows (a JS array of objects) as plain dicts with NULL as None.

    `to_py()` converts the whole array in one call; JS numbers that are whole
    come back as int (so does an integral REAL: 3.0 → 3). Measured on 100k rows
    in Pyodide, this is 2-3x faster than JSON.stringify + json.loads.
    """
    if results is None or results is jsnull:
        return []
    rows = results.to_py()
    for row in rows:
        for name, value in row.items():
            if value is jsnull:
                row[name] = None
    return rows


def split_script(sql: str) -> list[str]:
    """Statements of a schema script: split at a `;` that ends a line, drop
    comment-only chunks, keep `CREATE TRIGGER ... END;` bodies whole."""
    statements: list[str] = []
    current: list[str] = []
    for line in sql.splitlines():
        current.append(line)
        if not line.rstrip().endswith(";"):
            continue
        chunk = "\n".join(current).strip()
        code = "\n".join(l for l in current if not l.strip().startswith("--")).strip()
        upper = " ".join(code.upper().split())
        if "CREATE TRIGGER" in upper or "CREATE TEMP TRIGGER" in upper:
            if not upper.endswith("END;"):
                continue  # inside the trigger body
        current = []
        if code.strip(";").strip():
            statements.append(chunk)
    tail = "\n".join(l for l in current if not l.strip().startswith("--")).strip()
    if tail:
        statements.append("\n".join(current).strip())
    return statements


class D1Database:
    def __init__(self, binding: Any):
        self.db = getattr(binding, "_binding", binding)

    def _prepare(self, sql: str, params: Params) -> Any:
        statement = self.db.prepare(sql)
        if params:
            statement = statement.bind(*[_param(p, sql) for p in params])
        return statement

    async def all(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        try:
            result = await self._prepare(sql, params).all()
        except JsException as exc:
            raise DatabaseError(f"{_message(exc)} in: {_describe(sql)}") from None
        return _rows(result.results)

    async def first(self, sql: str, params: Params = ()) -> dict[str, Any] | None:
        try:
            row = await self._prepare(sql, params).first()
        except JsException as exc:
            raise DatabaseError(f"{_message(exc)} in: {_describe(sql)}") from None
        if row is None or row is jsnull:
            return None
        return _rows(js.Array.of(row))[0]

    async def run(self, sql: str, params: Params = ()) -> RunResult:
        try:
            result = await self._prepare(sql, params).run()
        except JsException as exc:
            raise DatabaseError(f"{_message(exc)} in: {_describe(sql)}") from None
        return _run_result(result)

    async def read(self, statements: Sequence[tuple[str, Params]]) -> list[list[dict[str, Any]]]:
        """Several SELECTs in one D1 batch: one round trip, one consistent view."""
        return [_rows(result.results) for result in await self._batch(statements)]

    async def batch(self, statements: Sequence[tuple[str, Params]]) -> list[RunResult]:
        """D1 runs a batch as one transaction: all statements or none."""
        return [_run_result(result) for result in await self._batch(statements)]

    async def _batch(self, statements: Sequence[tuple[str, Params]]) -> Any:
        if not statements:
            return []
        prepared = []
        for sql, params in statements:
            try:
                prepared.append(self._prepare(sql, params))
            except JsException as exc:
                raise DatabaseError(f"{_message(exc)} in: {_describe(sql)}") from None
        try:
            results = await self.db.batch(to_js(prepared))
        except JsException as exc:
            raise DatabaseError(f"{_message(exc)} in a batch of {len(statements)} statement(s), "
                                f"the first: {_describe(statements[0][0])}") from None
        return results

    async def script(self, sql: str) -> None:
        statements = split_script(sql)
        if not statements:
            return
        try:
            await self.batch([(statement, ()) for statement in statements])
        except DatabaseError as exc:
            raise DatabaseError(f"schema script failed: {exc}") from None


def _run_result(result: Any) -> RunResult:
    meta = result.meta
    changes = getattr(meta, "changes", 0)
    last_row_id = getattr(meta, "last_row_id", None)
    return RunResult(
        changes=int(changes) if isinstance(changes, (int, float)) else 0,
        last_row_id=int(last_row_id) if isinstance(last_row_id, (int, float)) else None,
    )

"""The pure core must run unchanged in Pyodide and CPython: no runtime imports."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "src" / "keypool" / "core"
FORBIDDEN = {"js", "pyodide", "workers", "sqlite3", "httpx", "os", "uvicorn", "asyncio"}


def imported_modules(path: Path) -> set[str]:
    """Top-level names of absolute imports; a relative import shows as its dots."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add("." * node.level if node.level else node.module.split(".")[0])
    return names


def test_core_imports_no_runtime_module():
    files = sorted(CORE.rglob("*.py"))
    assert files, "core has no modules?"
    for path in files:
        # ".." would reach the app, and through it the adapters
        bad = imported_modules(path) & (FORBIDDEN | {"..", "...", "keypool"})
        assert not bad, f"{path.relative_to(CORE.parent)} imports {sorted(bad)}"


def test_worker_path_imports_nothing_third_party():
    """The Worker ships no vendored packages: modules it loads import only stdlib,
    js/pyodide/workers and our own package."""
    src = CORE.parents[1]
    worker_modules = [src / "entry.py", *CORE.parent.glob("*.py"), *CORE.parent.glob("handlers/*.py"),
                      *CORE.parent.glob("store/*.py"), *CORE.rglob("*.py"),
                      *(CORE.parent / "adapters" / n for n in ("d1.py", "js_fetch.py", "kv_assets.py"))]
    local_only = {"server.py", "__main__.py"}
    third_party = {"httpx", "uvicorn", "starlette", "pydantic", "requests", "aiohttp"}
    for path in worker_modules:
        if not path.exists() or path.name in local_only:
            continue
        bad = imported_modules(path) & third_party
        assert not bad, f"{path.relative_to(src)} imports {sorted(bad)} into the Worker path"

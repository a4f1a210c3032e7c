"""Bytes each admin page loads: HTML + JS + CSS (+ its language file), raw and gzip.

Follows the pages' own imports from static/ (app.js's page map and every static import
below it), so the figures are what a browser fetches on a cold load. The baseline is the
sign-in page, measured in the same run: the other pages print their weight as a multiple
of it. Run: .venv/bin/python bench/page_weight.py
"""

from __future__ import annotations

import gzip
import re
import sys
from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "static"
IMPORT = re.compile(r"""(?:import|export)\s[^;]*?\sfrom\s+["']([^"']+)["']""", re.S)
PAGE_MAP = re.compile(r"""["'](/[a-z]*)["']\s*:\s*\(\)\s*=>\s*import\(["']([^"']+)["']\)""")
NOT_FOUND = re.compile(r"""import\(["'](\./pages/not_found\.js)["']\)""")


def module_graph(entry: Path, seen: set[Path] | None = None) -> set[Path]:
    seen = set() if seen is None else seen
    if entry in seen:
        return seen
    seen.add(entry)
    for target in IMPORT.findall(entry.read_text(encoding="utf-8")):
        module_graph((entry.parent / target).resolve(), seen)
    return seen


def pages() -> dict[str, Path]:
    app = (STATIC / "js" / "app.js").read_text(encoding="utf-8")
    found = {path: (STATIC / "js" / module).resolve() for path, module in PAGE_MAP.findall(app)}
    found["(404)"] = (STATIC / "js" / NOT_FOUND.search(app).group(1)).resolve()
    return found


def shell_files() -> list[Path]:
    html = STATIC / "index.html"
    text = html.read_text(encoding="utf-8")
    refs = re.findall(r"""(?:href|src)=["']/static/([^"']+\.(?:css|js))["']""", text)
    return [html, *(STATIC / ref for ref in refs)]


def weigh(files: set[Path]) -> dict[str, int]:
    sizes = {"html": 0, "js": 0, "css": 0, "json": 0, "files": len(files), "raw": 0, "gzip": 0}
    for path in files:
        body = path.read_bytes()
        kind = path.suffix.lstrip(".")
        sizes[kind] += len(body)
        sizes["raw"] += len(body)
        sizes["gzip"] += len(gzip.compress(body, 9))  # each file is its own response
    return sizes


def main() -> int:
    shell = shell_files()
    app = (STATIC / "js" / "app.js").resolve()
    language = STATIC / "i18n" / "zh.json"  # the larger of the two in bytes (UTF-8 Chinese)
    rows, loads = {}, {}
    for path, module in pages().items():
        files = {f.resolve() for f in set(shell) | module_graph(app) | module_graph(module) | {language}}
        rows[path] = weigh(files)
        loads[path] = files
    base = rows["/"]
    print(f"{'page':10} {'files':>5} {'html':>7} {'js':>8} {'css':>7} {'json':>7} {'raw':>8} {'gzip':>7}  vs sign-in (gzip)")
    for path, row in rows.items():
        print(f"{path:10} {row['files']:>5} {row['html']:>7} {row['js']:>8} {row['css']:>7} {row['json']:>7} "
              f"{row['raw']:>8} {row['gzip']:>7}  x{row['gzip'] / base['gzip']:.2f}")
    vendor = sorted((STATIC / "vendor").glob("*.js"))
    print("\nvendored files (cached for a year once loaded):")
    for path in vendor:
        body = path.read_bytes()
        users = [page for page, files in loads.items() if path.resolve() in files]
        print(f"  {path.name:36} raw {len(body):>7}  gzip {len(gzip.compress(body, 9)):>6}  "
              f"loaded by: {', '.join(users) if len(users) < len(loads) else 'every page'}{'' if users else 'no page yet'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

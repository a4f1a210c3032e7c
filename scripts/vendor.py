#!/usr/bin/env python3
"""Copies the admin UI's front-end libraries from node_modules/ into static/vendor/.

Each file gets the locked version in its name (so it can be cached for a
year) and its licence beside it; references in static/ are rewritten to the
new name. The versions come from package-lock.json: bump one with
`npm install --save-dev --save-exact NAME@VERSION`, then run
`python3 scripts/vendor.py`. tests/unit/test_vendor.py fails when a copy
differs from the locked package's file, so nothing here is edited by hand.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "static" / "vendor"


@dataclass(frozen=True)
class Vendored:
    package: str
    source: str    # path inside the package
    name: str      # file name in static/vendor, with {version}
    licence: str   # licence file inside the package
    notice: str = ""  # licences of code the file bundles

    def file_name(self, version: str) -> str:
        return self.name.format(version=version)

    def licence_name(self, version: str) -> str:
        return f"{self.package}-{version}.LICENSE.txt"

    def pattern(self) -> re.Pattern[str]:
        """Any version of this file's name, as the pages refer to it."""
        head, tail = self.name.split("{version}")
        return re.compile(re.escape(head) + r"\d+\.\d+\.\d+[0-9A-Za-z.-]*?" + re.escape(tail))


PREACT_NOTICE = """
----------------------------------------------------------------------------
preact/standalone.module.js bundles Preact and its hooks:

The MIT License (MIT)

Copyright (c) 2015-present Jason Miller

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""

VENDORED = (
    # Preact + htm in one ES module with no bare imports: no import map (an inline script) needed.
    Vendored("htm", "preact/standalone.module.js", "htm-preact-standalone-{version}.js", "LICENSE",
             PREACT_NOTICE),
    # Imported as a module it sets globalThis.Chart (the dashboard's charts).
    Vendored("chart.js", "dist/chart.umd.min.js", "chart-{version}.umd.min.js", "LICENSE.md"),
)


def locked_version(package: str, root: Path = ROOT) -> str:
    lock = json.loads((root / "package-lock.json").read_text(encoding="utf-8"))
    entry = lock.get("packages", {}).get(f"node_modules/{package}")
    if not entry or "version" not in entry:
        raise SystemExit(f"{package} is not in package-lock.json: npm install --save-dev --save-exact {package}")
    return entry["version"]


def installed_version(package: str, root: Path = ROOT) -> str | None:
    manifest = root / "node_modules" / package / "package.json"
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text(encoding="utf-8"))["version"]


def expected_files(root: Path = ROOT) -> dict[str, Vendored]:
    """What static/vendor/ must hold: file name -> its entry (licences included)."""
    files = {}
    for item in VENDORED:
        version = locked_version(item.package, root)
        files[item.file_name(version)] = item
        files[item.licence_name(version)] = item
    return files


def main() -> int:
    VENDOR.mkdir(parents=True, exist_ok=True)
    renames: list[tuple[re.Pattern[str], str]] = []
    for item in VENDORED:
        version = locked_version(item.package)
        if installed_version(item.package) != version:
            print(f"node_modules/{item.package} is not the locked {version}: run `npm ci` first", file=sys.stderr)
            return 1
        package_dir = ROOT / "node_modules" / item.package
        shutil.copyfile(package_dir / item.source, VENDOR / item.file_name(version))
        licence = (package_dir / item.licence).read_text(encoding="utf-8")
        (VENDOR / item.licence_name(version)).write_text(
            f"static/vendor/{item.file_name(version)} is {item.source} of the npm package "
            f"{item.package}@{version}.\n\n{licence.strip()}\n{item.notice}", encoding="utf-8")
        renames.append((item.pattern(), item.file_name(version)))
        print(f"vendored {item.package}@{version} -> static/vendor/{item.file_name(version)}")
    keep = set(expected_files())
    for stale in VENDOR.iterdir():
        if stale.name not in keep:
            stale.unlink()
            print(f"removed static/vendor/{stale.name}")
    for page_file in (ROOT / "static").rglob("*"):
        if page_file.suffix not in (".js", ".html", ".css") or VENDOR in page_file.parents:
            continue
        text = page_file.read_text(encoding="utf-8")
        updated = text
        for pattern, name in renames:
            updated = pattern.sub(name, updated)
        if updated != text:
            page_file.write_text(updated, encoding="utf-8")
            print(f"updated references in {page_file.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

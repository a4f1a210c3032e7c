"""static/vendor/ holds exact copies of the locked npm packages' files (scripts/vendor.py),
named with the locked version, and nothing else; the pages refer to those names."""

from __future__ import annotations

import importlib.util
import re
import sys

import pytest

from support import ROOT

spec = importlib.util.spec_from_file_location("vendor_script", ROOT / "scripts" / "vendor.py")
vendor = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = vendor  # dataclasses look their module up while the script loads
spec.loader.exec_module(vendor)


@pytest.mark.parametrize("item", vendor.VENDORED, ids=lambda item: item.package)
def test_vendored_copy_is_the_locked_packages_file(item):
    version = vendor.locked_version(item.package)
    installed = vendor.installed_version(item.package)
    assert installed == version, f"node_modules/{item.package} is {installed}, the lockfile says {version}: npm ci"
    copy = ROOT / "static" / "vendor" / item.file_name(version)
    assert copy.is_file(), f"{copy.name} is missing: python3 scripts/vendor.py"
    original = ROOT / "node_modules" / item.package / item.source
    assert copy.read_bytes() == original.read_bytes(), f"{copy.name} differs from {item.package}/{item.source}"
    licence = (ROOT / "static" / "vendor" / item.licence_name(version)).read_text(encoding="utf-8")
    assert (ROOT / "node_modules" / item.package / item.licence).read_text(encoding="utf-8").strip() in licence


def test_vendor_folder_holds_only_the_locked_versions():
    present = {path.name for path in (ROOT / "static" / "vendor").iterdir()}
    assert present == set(vendor.expected_files()), "stale or unknown files: python3 scripts/vendor.py"


def test_pages_refer_to_the_locked_vendor_files():
    names = set(vendor.expected_files())
    referenced = set()
    for path in (ROOT / "static").rglob("*.js"):
        if "vendor" in path.parts:
            continue
        referenced |= set(re.findall(r"vendor/([\w.-]+\.js)", path.read_text(encoding="utf-8")))
    assert referenced, "no page imports a vendored file?"
    assert referenced <= names, f"references to files that are not vendored: {sorted(referenced - names)}"

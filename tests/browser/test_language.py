"""The language: from the browser (zh-CN starts in Chinese, en-US in English), switchable,
remembered across reloads, and no English message left on a Chinese page."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from browser.ui_support import ready
from support import ROOT, make_key

MESSAGES = {lang: json.loads((ROOT / "static" / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
            for lang in ("en", "zh")}


def english_fragments() -> set[str]:
    """Pieces of English messages (placeholders cut out) that no Chinese message contains."""
    zh_text = "\n".join(MESSAGES["zh"].values())
    pieces = set()
    for text in MESSAGES["en"].values():
        for piece in re.split(r"\{\w+\}", text):
            piece = piece.strip(" .:,·()")
            if re.search(r"[A-Za-z]{4,}", piece) and len(piece) >= 5 and piece not in zh_text:
                pieces.add(piece)
    return pieces


@pytest.mark.parametrize("locale, heading, title", [("zh-CN", "登录", "登录 · 硅基密钥池"),
                                                    ("en-US", "Sign in", "Sign in · Silicon Key Pool")])
def test_the_browser_language_decides_the_first_language(api, open_page, locale, heading, title):
    page = open_page("/", locale=locale, signed_in=False)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page).to_have_title(title)
    keys = open_page("/keys", locale=locale)
    expect(keys.get_by_role("heading", level=1)).to_have_text("密钥" if locale == "zh-CN" else "Keys")


def test_switching_changes_the_visible_texts_and_survives_a_reload(api, open_page):
    api.post("/api/keys", json={"keys": [make_key("lang1")]})
    page = open_page("/keys", locale="en-US")
    expect(page.get_by_role("heading", level=1)).to_have_text("Keys")
    expect(page.get_by_role("link", name="Dashboard")).to_be_visible()
    page.get_by_label("Language").select_option("zh")
    expect(page.get_by_role("heading", level=1)).to_have_text("密钥")
    expect(page.get_by_role("link", name="概览")).to_be_visible()
    expect(page.locator("table.keys-table tbody .badge")).to_have_text("未检测")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page).to_have_title("密钥 · 硅基密钥池")
    page.reload()
    ready(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("密钥")  # remembered, over the browser's en-US
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/admin$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("概览")
    page.get_by_label("语言").select_option("en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")


@pytest.mark.parametrize("path", ["/", "/admin", "/keys", "/logs", "/settings", "/docs", "/nowhere"])
def test_chinese_pages_show_no_english_message(api, fake, open_page, path):
    key = make_key("zhonly")
    fake.set_key(key, "invalid")
    api.post("/api/keys", json={"keys": [key, make_key("zhother")]})
    api.post("/api/keys/check", json={"all": True})
    page = open_page(path, locale="zh-CN", signed_in=path != "/", expected=((404, "/nowhere"),))
    text = page.locator("body").inner_text()
    assert len(english_fragments()) > 150  # the check has teeth
    leftovers = sorted(piece for piece in english_fragments() if piece in text)
    assert not leftovers, f"English on the Chinese page {path}: {leftovers}"

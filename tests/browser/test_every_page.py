"""Every page, in both languages, on a desktop and a phone: it renders without a console
error or failed request, nothing scrolls sideways at 375 px, axe-core finds no serious or
critical violation, and a screenshot is saved under test-output/screenshots/ to look at."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from playwright.sync_api import expect

from browser.ui_support import DESKTOP, PHONE, axe_violations, checked_pool, no_sideways_scroll, ready, shoot
from support import ROOT, make_key

PAGES = {"signin": "/", "admin": "/admin", "keys": "/keys", "logs": "/logs", "settings": "/settings",
         "docs": "/docs", "not-found": "/no-such-page"}
LOCALES = {"en": "en-US", "zh": "zh-CN"}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}


@pytest.fixture
def filled_pool(api, fake, local_server):
    """A pool worth looking at: checked keys of every status, a block, a disabled key, a request logged."""
    keys = [make_key(f"{i:03d}look") for i in range(30)]
    checked_pool(api, fake, keys, lambda i: "invalid" if i % 7 == 3 else "no_balance" if i % 5 == 4 else f"{i % 13 + 0.25}")
    api.post("/api/keys", json={"keys": [make_key(f"{i:03d}new") for i in range(3)]})
    ids = [item["id"] for item in api.get("/api/keys", params={"page_size": 2, "sort": "added"}).json()["items"]]
    api.post("/api/keys/disable", json={"ids": ids[:1]})
    client_key = api.post("/api/client-keys", json={"name": "screenshots"}).json()["key"]
    for model in ("deepseek-ai/DeepSeek-V3", "no-such-model"):
        httpx.post(f"{local_server.url}/v1/chat/completions", headers={"authorization": f"Bearer {client_key}"},
                   json={"model": model, "messages": [{"role": "user", "content": "hi"}]}, timeout=30)
    deadline = time.monotonic() + 10
    while api.get("/api/logs").json()["total"] < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    return keys


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("lang", LOCALES)
@pytest.mark.parametrize("name", PAGES)
def test_page_renders_cleanly_fits_the_screen_and_passes_axe(filled_pool, open_page, name, lang, viewport):
    page = open_page(PAGES[name], locale=LOCALES[lang], viewport=VIEWPORTS[viewport], signed_in=name != "signin",
                     expected=((404, "/no-such-page"),) if name == "not-found" else ())
    if name == "not-found":
        expect(page.get_by_role("heading", level=1)).to_have_text("页面不存在" if lang == "zh" else "Page not found")
    if name == "keys":
        page.wait_for_selector("table.keys-table tbody tr")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN" if lang == "zh" else "en")
    shoot(page, f"{name}-{lang}-{viewport}")
    assert no_sideways_scroll(page), f"{name} scrolls sideways at {VIEWPORTS[viewport]['width']} px"
    violations = axe_violations(page)
    assert not violations, json.dumps(violations, indent=1, ensure_ascii=False)


def test_the_phone_menu_collapses_and_opens(api, open_page):
    page = open_page("/keys", viewport=PHONE)
    nav_link = page.get_by_role("link", name="Logs")
    expect(nav_link).to_be_hidden()
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav_link).to_be_visible()
    shoot(page, "keys-en-phone-menu", full_page=False)
    nav_link.click()
    expect(page.get_by_role("heading", name="Request logs")).to_be_visible()


@pytest.mark.parametrize("lang", LOCALES)
def test_dialogs_pass_axe_and_fit_a_phone(filled_pool, open_page, lang):
    for viewport in ("desktop", "phone"):
        page = open_page("/keys", locale=LOCALES[lang], viewport=VIEWPORTS[viewport])
        page.wait_for_selector("table.keys-table tbody tr")
        page.locator("table.keys-table tbody input[type=checkbox]").first.check()
        for opener, dialog_name in ((".page-actions .button-primary", "import"),
                                    (".page-actions .button:nth-child(2)", "check"),
                                    (".page-actions .button:nth-child(3)", "export")):
            page.locator(opener).click()
            dialog = page.locator("dialog[open]")
            expect(dialog).to_be_visible()
            if dialog_name == "export":
                dialog.locator("[data-export-total]").wait_for()
            page.wait_for_load_state("networkidle")
            shoot(page, f"dialog-{dialog_name}-{lang}-{viewport}", full_page=False)
            violations = axe_violations(page)
            assert not violations, json.dumps(violations, indent=1, ensure_ascii=False)
            box = dialog.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORTS[viewport]["width"]
            page.keyboard.press("Escape")  # keyboard closes it
            expect(page.locator("dialog[open]")).to_have_count(0)


def test_the_keys_page_is_keyboard_usable(api, open_page):
    api.post("/api/keys", json={"keys": [make_key(f"{i:03d}kbd") for i in range(3)]})
    page = open_page("/keys")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Add keys").first.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Add keys")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Close")).to_be_focused()  # focus moves into the dialog
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_every_control_has_a_name(filled_pool, open_page):
    page = open_page("/keys")
    page.wait_for_selector("table.keys-table tbody tr")
    unnamed = page.evaluate("""() => [...document.querySelectorAll('button, input, select, textarea, a[href]')]
        .filter(el => !(el.getAttribute('aria-label') || el.labels?.length || el.textContent.trim()
                        || el.getAttribute('aria-labelledby') || el.title))
        .map(el => el.outerHTML.slice(0, 120))""")
    assert unnamed == []


def test_chartjs_loads_as_a_module_and_sets_the_global(api, open_page):
    page = open_page("/admin")
    version = json.loads((ROOT / "package-lock.json").read_text())["packages"]["node_modules/chart.js"]["version"]
    loaded = page.evaluate("async (url) => { await import(url); return [typeof globalThis.Chart, globalThis.Chart.version]; }",
                           f"/static/vendor/chart-{version}.umd.min.js")
    assert loaded == ["function", version]


@pytest.mark.parametrize("name", ["signin", "admin", "keys"])
def test_the_dark_theme_follows_the_system_and_keeps_contrast(filled_pool, open_page, name):
    page = open_page(None, signed_in=name != "signin")
    page.emulate_media(color_scheme="dark")
    page.goto(PAGES[name])
    ready(page)
    if name == "keys":
        page.wait_for_selector("table.keys-table tbody tr")
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(14, 17, 22)"  # --bg of the dark theme
    shoot(page, f"{name}-en-desktop-dark")
    violations = axe_violations(page)
    assert not violations, json.dumps(violations, indent=1, ensure_ascii=False)

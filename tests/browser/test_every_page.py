"""Every page, in both languages, on a desktop and a phone: it renders without a console
error or failed request, nothing scrolls sideways at 375 px, axe-core finds no serious or
critical violation, and a screenshot is saved under test-output/screenshots/ to look at."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from browser.ui_support import DESKTOP, PHONE, axe_violations, checked_pool, no_sideways_scroll, proxied, ready, shoot
from support import ROOT, make_key

PAGES = {"signin": "/", "login": "/login", "admin": "/admin", "keys": "/keys", "client-keys": "/client-keys",
         "logs": "/logs", "audit": "/logs?tab=audit", "settings": "/settings", "docs": "/docs",
         "not-found": "/no-such-page"}
# `/` as visitors see it when the pool is shared: access mode, what to open, signed in as the admin?
SHARED = {"shared-open": ("open", "/", False), "guest-sign-in": ("guest", "/", False),
          "shared-admin": ("guest", "/", True), "docs-visitor": ("open", "/docs", False)}
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
    client_key = api.post("/api/client-keys", json={"name": "screenshots", "rpm_limit": 60}).json()["key"]
    api.post("/api/client-keys", json={"name": "spare", "request_quota": 1000, "allow_upstream_key": True,
                                       "models": ["deepseek-ai/DeepSeek-V3"]})
    proxied(api, local_server.url, client_key, ["deepseek-ai/DeepSeek-V3", "no-such-model"])
    return keys


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("lang", LOCALES)
@pytest.mark.parametrize("name", PAGES)
def test_page_renders_cleanly_fits_the_screen_and_passes_axe(filled_pool, open_page, name, lang, viewport):
    page = open_page(PAGES[name], locale=LOCALES[lang], viewport=VIEWPORTS[viewport], signed_in=name not in ("signin", "login"),
                     expected=((404, "/no-such-page"),) if name == "not-found" else ())
    if name == "not-found":
        expect(page.get_by_role("heading", level=1)).to_have_text("页面不存在" if lang == "zh" else "Page not found")
    if name == "keys":
        page.wait_for_selector("table.keys-table tbody tr")
    if name == "admin":
        page.wait_for_selector("#chart-models")
    check_page(page, name, lang, viewport)


def check_page(page, name: str, lang: str, viewport: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN" if lang == "zh" else "en")
    shoot(page, f"{name}-{lang}-{viewport}")
    assert no_sideways_scroll(page), f"{name} scrolls sideways at {VIEWPORTS[viewport]['width']} px"
    violations = axe_violations(page)
    assert not violations, json.dumps(violations, indent=1, ensure_ascii=False)


@pytest.fixture
def sharing(api):
    def share(mode: str) -> None:
        assert api.put("/api/settings", json={"access_mode": mode, "visitor_copy": True}).status_code == 200
        assert api.put("/api/guest-password", json={"password": "screenshot-guest-pw"}).status_code == 200

    yield share
    assert api.put("/api/settings", json={"access_mode": "private", "visitor_copy": False}).status_code == 200
    assert api.put("/api/guest-password", json={"password": None}).status_code == 200


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("lang", LOCALES)
@pytest.mark.parametrize("name", SHARED)
def test_the_shared_pages_render_cleanly_fit_the_screen_and_pass_axe(filled_pool, sharing, open_page, name, lang,
                                                                     viewport):
    mode, path, admin = SHARED[name]
    sharing(mode)
    page = open_page(path, locale=LOCALES[lang], viewport=VIEWPORTS[viewport], signed_in=admin)
    if name != "guest-sign-in" and path == "/":
        page.wait_for_selector("table.shared-table tbody tr")
    check_page(page, name, lang, viewport)


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


def new_dialogs(page):
    """Open each dialog of the pages of the second UI issue in turn: (name, opener)."""
    yield "client-key-create", lambda: (page.goto("/client-keys"), ready(page),
                                        page.get_by_role("button", name=re.compile("Create client key|创建客户端密钥")).first.click())
    yield "client-key-created", lambda: (page.goto("/client-keys"), ready(page),
                                         page.get_by_role("button", name=re.compile("Create client key|创建客户端密钥")).first.click(),
                                         page.locator("#ck-name").fill("screenshot"),
                                         page.locator("dialog[open] button[type=submit]").click(),
                                         page.locator("[data-new-key]").wait_for())
    yield "client-key-edit", lambda: (page.goto("/client-keys"), ready(page),
                                      page.locator("table.client-keys-table tbody tr").first
                                      .locator(".row-actions button").first.click())
    yield "client-key-delete", lambda: (page.goto("/client-keys"), ready(page),
                                        page.locator("table.client-keys-table tbody tr").first
                                        .locator(".row-actions button").last.click())
    yield "logs-clear", lambda: (page.goto("/logs"), ready(page), page.locator(".toolbar-end .button-danger-quiet").click())
    yield "sessions-revoke", lambda: (page.goto("/settings"), ready(page),
                                      page.locator("[data-group=account] .button-danger").click())


@pytest.mark.parametrize("lang", LOCALES)
def test_the_new_dialogs_pass_axe_and_fit_a_phone(filled_pool, open_page, lang):
    for viewport in ("desktop", "phone"):
        page = open_page(None, locale=LOCALES[lang], viewport=VIEWPORTS[viewport])
        for name, opener in new_dialogs(page):
            opener()
            dialog = page.locator("dialog[open]")
            expect(dialog).to_be_visible()
            page.wait_for_load_state("networkidle")
            shoot(page, f"dialog-{name}-{lang}-{viewport}", full_page=False)
            violations = axe_violations(page)
            assert not violations, (name, json.dumps(violations, indent=1, ensure_ascii=False))
            box = dialog.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORTS[viewport]["width"], name
            page.keyboard.press("Escape")
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


@pytest.mark.parametrize("path", ["/keys", "/admin", "/client-keys", "/logs", "/logs?tab=audit", "/settings", "/docs"])
def test_every_control_has_a_name(filled_pool, open_page, path):
    page = open_page(path)
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


@pytest.mark.parametrize("name", ["signin", "admin", "keys", "client-keys", "logs", "settings", "docs"])
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

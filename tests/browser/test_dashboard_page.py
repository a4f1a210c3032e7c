"""The dashboard in a real browser, after a real import and check against the fake SiliconFlow
and real requests through /v1: every card shows the API's figure, each chart holds the API's data
(read from the page's Chart.js charts, not from a screenshot), the period switches really
filter, the outlier filter changes the scale, and with /v1/user/info answering 410 the balance
charts say the balance is unknown while validity and usage lead."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from browser.ui_support import checked_pool, proxied, shoot
from integration.stats_support import write  # noqa: F401  (fixture)
from support import make_key

BALANCES = ["14", "14", "14", "13.5", "12", "9.75", "6", "3", "2.5", "0.8", "400"]  # 400: the outlier


def number(value: float, digits: int = 0) -> str:
    """A figure as the page writes it in English (format.js: grouping, at most `digits` decimals)."""
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def balance(value: float) -> str:
    text = f"{value:,.4f}".rstrip("0")
    return text + "0" * (2 - len(text.split(".")[1]))  # at least two decimals


def chart(page, chart_id: str, what: str):
    """A chart's data or scale, read from the Chart.js instance on the page."""
    return page.evaluate(f"(id) => {{ const c = Chart.getChart(document.getElementById(id)); return {what}; }}", chart_id)


@pytest.fixture
def busy_pool(api, fake, local_server, write):
    """Checked keys of every status with real balances, and real requests through /v1 (the
    `write` fixture first clears the hourly usage other tests' requests left)."""
    keys = [make_key(f"{i:02d}dash") for i in range(len(BALANCES) + 4)]
    kinds = BALANCES + ["invalid", "invalid", "no_balance", "no_balance"]
    checked_pool(api, fake, keys, lambda i: kinds[i])
    api.post("/api/keys", json={"keys": [make_key("dashfresh")]})  # one unchecked key
    client = api.post("/api/client-keys", json={"name": "dashboard client"}).json()["key"]
    proxied(api, local_server.url, client, ["deepseek-ai/DeepSeek-V3", "deepseek-ai/DeepSeek-V3",
                                            "Qwen/Qwen2.5-7B-Instruct", "no-such-model"])
    return keys


def test_every_card_equals_the_apis_figure_and_each_chart_holds_its_data(busy_pool, api, open_page):
    stats = api.get("/api/stats").json()
    requests = api.get("/api/stats/requests", params={"range": "24h"}).json()
    page = open_page("/admin")
    page.wait_for_selector("#chart-models")
    keys, valid, day = stats["keys"], stats["balance"]["valid"], stats["requests"]
    cards = {"total": keys["total"], **keys["by_status"], "unknown": stats["balance"]["unknown"],
             "balance_total": valid["sum"], "balance_avg": valid["avg"], "balance_median": valid["median"],
             "balance_max": valid["max"], "balance_min": valid["min"], "requests": day["count"],
             "success_rate": day["success_rate"], "tokens": day["tokens"], "latency": day["avg_latency_ms"],
             "ttfb": day["avg_ttfb_ms"]}
    assert (keys["total"], keys["by_status"]["valid"], keys["by_status"]["unchecked"], day["count"]) == (16, 11, 1, 4)
    assert (valid["max"], valid["median"]) == (400, 12)
    for name, figure in cards.items():
        card = page.locator(f'[data-card="{name}"]')
        assert float(card.get_attribute("data-value")) == pytest.approx(figure), name
        shown = card.locator(".card-value").inner_text()
        if name.startswith("balance_"):
            want = balance(figure)
        elif name == "success_rate":
            want = f"{number(figure * 100, 1)}%"
        elif name in ("latency", "ttfb"):
            want = f"{number(figure)} ms"
        else:
            want = number(figure)
        assert shown == want, (name, shown, want)

    by_status = keys["by_status"]
    shown_statuses = [s for s in ("valid", "unchecked", "exhausted", "invalid", "disabled") if by_status[s]]
    assert chart(page, "chart-status", "c.data.datasets[0].data") == [by_status[s] for s in shown_statuses]
    assert chart(page, "chart-status", "c.data.labels")[0] == f"Valid · {number(by_status['valid'] / 16 * 100, 1)}%"
    assert chart(page, "chart-distribution", "c.data.datasets[0].data") == [b["count"] for b in stats["balance"]["distribution"]]
    assert chart(page, "chart-requests", "c.data.datasets.map(d => d.data.reduce((a, b) => a + b, 0))") == [
        day["count"] - day["errors"], day["errors"]]
    assert len(chart(page, "chart-requests", "c.data.labels")) == 24
    assert chart(page, "chart-models", "c.data.labels") == [m["model"] for m in requests["models"]]
    assert chart(page, "chart-models", "c.data.datasets[0].data") == [m["requests"] for m in requests["models"]]
    assert chart(page, "chart-clients", "c.data.labels") == ["dashboard client"]
    assert chart(page, "chart-keys", "c.data.labels") == [k["key"] for k in requests["keys"]]
    assert chart(page, "chart-trend", "c.data.datasets[0].data") == [p["total_balance"] for p in stats["trend"]["points"]]
    latest = page.locator("[data-panel=panel-latest] code.key").all_inner_texts()
    assert latest == [item["key"] for item in stats["latest_keys"]]
    assert page.locator("[data-outlier-rule]").inner_text().startswith("Outliers: balances above Q3 + 1.5 × IQR")
    shoot(page, "dashboard-en-desktop-filled")


def test_the_period_switches_really_filter(busy_pool, api, open_page, write):
    today = datetime.now(timezone.utc).date()
    days = [(today - timedelta(days=i)).isoformat() for i in range(39, -1, -1)]
    write.pool_days({day: (100.0 + i, 5 + i % 3) for i, day in enumerate(days)})
    page = open_page("/admin")
    page.wait_for_selector("#chart-trend")
    assert len(chart(page, "chart-trend", "c.data.labels")) == 30  # the default period
    page.click("[data-period=trend-7d]")
    page.wait_for_function("() => Chart.getChart(document.getElementById('chart-trend')).data.labels.length === 7")
    assert chart(page, "chart-trend", "c.data.datasets[0].data") == [100.0 + i for i in range(33, 40)]
    page.click("[data-period=trend-all]")
    page.wait_for_function("() => Chart.getChart(document.getElementById('chart-trend')).data.labels.length === 40")
    page.click("[data-period=requests-7d]")
    page.wait_for_function("() => Chart.getChart(document.getElementById('chart-requests')).data.labels.length === 7")
    week = api.get("/api/stats/requests", params={"range": "7d", "tz": int(page.evaluate("() => -new Date().getTimezoneOffset() || 0"))}).json()
    assert chart(page, "chart-requests", "c.data.datasets[1].data") == [p["errors"] for p in week["series"]]
    page.click("[data-period=requests-30d]")
    page.wait_for_function("() => Chart.getChart(document.getElementById('chart-requests')).data.labels.length === 30")


def test_the_outlier_filter_changes_the_scale(busy_pool, api, open_page, write):
    today = datetime.now(timezone.utc).date()
    days = [(today - timedelta(days=i)).isoformat() for i in range(6, -1, -1)]
    write.pool_days({day: (5000.0 if i == 3 else 100.0 + i, 10) for i, day in enumerate(days)})
    stats = api.get("/api/stats", params={"range": "7d"}).json()
    fence = stats["balance"]["valid"]["upper_fence"]
    assert fence < 400 and stats["balance"]["valid"]["outliers"] == 1
    page = open_page("/admin")
    page.click("[data-period=trend-7d]")
    page.wait_for_function("() => Chart.getChart(document.getElementById('chart-trend')).data.labels.length === 7")
    labels_before = chart(page, "chart-distribution", "c.data.labels")
    trend_max_before = chart(page, "chart-trend", "c.scales.y.max")
    assert labels_before[-1] == "> 100" and trend_max_before >= 5000
    page.get_by_label("Leave out outliers").check()
    page.wait_for_function("() => Chart.getChart(document.getElementById('chart-distribution')).data.labels.length === 6")
    assert chart(page, "chart-distribution", "c.data.labels") == labels_before[:-1]  # the > 100 bin was all outliers
    trend_max = chart(page, "chart-trend", "c.scales.y.max")
    assert trend_max < 1000  # the 5,000 day is off the scale
    expect(page.locator("[data-trend-rule]")).to_contain_text("Q3 + 1.5 × IQR")
    page.get_by_label("Leave out outliers").uncheck()
    page.wait_for_function("() => Chart.getChart(document.getElementById('chart-distribution')).data.labels.length === 7")


def test_with_user_info_gone_the_balance_charts_say_unknown(api, fake, open_page, write):
    write.pool_days({})  # a pool that never had a balance
    fake.configure(user_info_gone=True)
    keys = [make_key(f"{i:02d}gonedash") for i in range(6)]
    checked_pool(api, fake, keys, lambda i: "invalid" if i == 0 else "1")
    stats = api.get("/api/stats").json()
    assert stats["balance"]["valid"]["known"] == 0 and stats["keys"]["by_status"]["valid"] == 5
    page = open_page("/admin")
    page.wait_for_selector("#chart-status")
    expect(page.locator(".chart-grid")).to_have_attribute("data-leads", "usage")
    expect(page.locator("[data-panel=panel-distribution] [data-unknown]")).to_contain_text("Balance unknown")
    expect(page.locator("[data-panel=panel-trend] [data-unknown]")).to_contain_text("Balance unknown")
    expect(page.locator("#chart-distribution")).to_have_count(0)
    expect(page.locator("[data-card^=balance_]")).to_have_count(0)  # no balance card shows a 0
    expect(page.get_by_text("No balance is known")).to_be_visible()
    # the trend shows the valid keys only
    assert chart(page, "chart-trend", "c.data.datasets.map(d => d.label)") == ["Valid keys"]
    # validity and usage come first: the status chart is the first panel
    assert page.locator(".chart-grid > section").first.get_attribute("data-panel") == "panel-status"
    shoot(page, "dashboard-en-desktop-balance-unknown")

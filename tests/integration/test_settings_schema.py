"""GET /api/settings/schema: what the settings page builds its forms from. Every setting
GET /api/settings has is described, with its type, default and bounds or choices as the
API checks them (a value at a bound is taken, one past it refused, naming the setting)."""

from __future__ import annotations

TYPES = {"int", "float", "bool", "text", "list"}


def test_every_setting_is_described_as_the_api_checks_it(api):
    schema = api.get("/api/settings/schema").json()
    values = api.get("/api/settings").json()
    assert set(schema) == set(values)
    assert all(spec["type"] in TYPES and "default" in spec for spec in schema.values())
    assert schema["strategy"]["choices"] == ["round_robin", "random", "weighted", "drain"]
    assert schema["page_size"] == {"type": "int", "default": 12, "choices": [12, 24, 50, 100]}
    assert schema["access_mode"]["choices"] == ["private", "guest", "open"]
    assert schema["visitor_copy"] == {"type": "bool", "default": False}
    assert schema["free_models"] == {"type": "list", "default": []}
    for name, spec in schema.items():
        if spec["type"] not in ("int", "float") or "choices" in spec:
            continue
        at_bounds = api.put("/api/settings", json={name: spec["min"]})
        assert at_bounds.status_code == 200, (name, at_bounds.text)
        past = api.put("/api/settings", json={name: spec["max"] + 1})
        assert past.status_code == 400 and past.json()["error"]["param"] == name, (name, past.text)
        assert api.put("/api/settings", json={name: spec["default"]}).status_code == 200

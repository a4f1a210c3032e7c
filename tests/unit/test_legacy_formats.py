"""What the older projects export, read by the import parser (core/legacy.py,
core/keys.py): their `wrangler d1 export` dumps (tests/fixtures/legacy, made
with the real wrangler from their schemas), their JSON answers and their text
exports with balances."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from keypool.core.keys import parse_keys
from keypool.core.legacy import INACTIVE_NOTE, read_dump, when

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "legacy"
A, B, C = ("sk-" + ch * 48 for ch in "abc")


def at(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp())


def test_a_siliconflow_api_management_dump_carries_balances_and_added_dates():
    dump = (FIXTURES / "siliconflow-api-management.d1-export.sql").read_text()
    parsed = parse_keys(dump)
    assert parsed.source == "d1_dump"
    assert [k[:13] for k in parsed.keys] == ["sk-apimgmtaaa", "sk-apimgmtbbb", "sk-apimgmtccc", "sk-apimgmtddd"]
    assert (parsed.invalid, parsed.duplicates) == (1, 0)  # "not-a-siliconflow-key"
    carried = [parsed.carried[key] for key in parsed.keys]
    assert [c.balance for c in carried] == [14.0, 13.9952, 0.0, -0.0213]
    assert [c.added_at for c in carried] == [at("2025-03-21T10:00:00"), at("2025-03-22T11:30:05"),
                                             at("2025-03-23T00:00:00"), at("2025-04-01T12:00:00")]
    assert all(c.status is None and c.enabled is None for c in carried)
    assert "legacy-admin-password" not in repr(parsed)  # its config table is never read


def test_a_siliconflow_worker_dump_carries_times_in_milliseconds_and_inactive_keys():
    parsed = parse_keys((FIXTURES / "siliconflow-worker.d1-export.sql").read_text())
    assert [k[:14] for k in parsed.keys] == ["sk-sfworkeraaa", "sk-sfworkerbbb", "sk-sfworkerccc"]
    active, inactive, spare = (parsed.carried[key] for key in parsed.keys)
    assert (active.balance, active.added_at, active.status) == (14.0, 1742551200, None)
    assert (inactive.balance, inactive.added_at, inactive.status, inactive.last_error) == (
        0.0, 1742637600, "invalid", INACTIVE_NOTE)
    assert (spare.balance, spare.added_at) == (7.5, 1742724000)  # no add_time: created_at says when
    assert "sess-8c1f0e2a" not in repr(parsed) and parsed.invalid == 0


def test_dump_statements_in_other_shapes():
    dump = """-- an edited dump; with; semicolons; in comments
    /* and 'quotes' */ CREATE TABLE IF NOT EXISTS "keys" ("key" TEXT PRIMARY KEY, balance REAL, added TEXT, note TEXT,
      CONSTRAINT positive CHECK (balance > -1), UNIQUE (key));
    INSERT OR REPLACE INTO `keys` VALUES ('%s', '12.5', '2025-01-01 08:00:00', 'x;y'), ('%s', NULL, '2025-01-02', X'00');
    INSERT INTO [keys] (added, "key") VALUES ('2025-01-03T00:00:00+08:00', unistr('%s'));
    INSERT INTO keys VALUES (replace(replace('%s\\r\\n','\\r',char(13)),'\\n',char(10)), 1e-3, NULL, NULL);
    """ % (A, B, C, "sk-" + "d" * 48)
    records = {key.strip(): carried for key, carried in read_dump(dump)}
    assert records[A].balance == 12.5 and records[A].added_at == at("2025-01-01T08:00:00")
    assert records[B].balance is None and records[B].added_at == at("2025-01-02T00:00:00")
    assert records[C].added_at == at("2025-01-02T16:00:00")  # +08:00
    assert records["sk-" + "d" * 48].balance == 0.001


def test_a_dump_without_a_keys_table_still_yields_its_keys():
    dump = f"CREATE TABLE pool (k TEXT, b REAL);\nINSERT INTO \"pool\" VALUES('{A}',1.5);\nINSERT INTO pool VALUES('{B}',2);"
    parsed = parse_keys(dump)
    assert parsed.keys == [A, B] and parsed.carried == {}


@pytest.mark.parametrize("value, seconds", [
    (1742551200, 1742551200), (1742551200123, 1742551200), ("1742551200123", 1742551200),
    ("2025-03-21T10:00:00.000Z", 1742551200), ("2025-03-21T18:00:00+08:00", 1742551200),
    ("2025-03-21 10:00:00", 1742551200), ("yesterday", None), (None, None), (-5, None), (True, None),
])
def test_times_in_seconds_milliseconds_or_iso_text(value, seconds):
    assert when(value) == seconds


def test_json_answers_of_both_projects():
    worker = '{"keys": [{"id": "x1", "key": "%s", "balance": 3.25, "is_active": 1, "add_time": 1742551200000},' \
             ' {"id": "x2", "key": "%s", "balance": 0, "is_active": 0, "created_at": 1742551200000}]}' % (A, B)
    parsed = parse_keys(worker)
    assert parsed.source == "json" and parsed.keys == [A, B]
    assert (parsed.carried[A].balance, parsed.carried[A].added_at, parsed.carried[A].status) == (3.25, 1742551200, None)
    assert parsed.carried[B].status == "invalid"
    management = '{"success": true, "data": [{"key": "%s", "balance": 14, "added": "2025-03-21T10:00:00.000Z", ' \
                 '"lastUpdated": null}, {"key": "oops"}, {"nokey": 1}]}' % C
    parsed = parse_keys(management)
    assert parsed.keys == [C] and parsed.invalid == 2
    assert (parsed.carried[C].balance, parsed.carried[C].added_at) == (14.0, 1742551200)
    assert parse_keys(f'["{A}", "{B}", "{A}"]').keys == [A, B]


@pytest.mark.parametrize("delimiter", ["\n", ",", " ", ";", "\\t", "\r\n"])
def test_a_with_balance_export_of_siliconflow_api_management_in_any_delimiter(delimiter):
    # admin.js writes key|balance joined by the chosen delimiter ("tab" as the two characters \t)
    parsed = parse_keys(delimiter.join([f"{A}|14", f"{B}|13.9952", f"{C}|1e-7"]))
    assert parsed.keys == [A, B, C] and parsed.invalid == 0
    assert [parsed.carried[k].balance for k in parsed.keys] == [14.0, 13.9952, 1e-7]


def test_plain_exports_and_our_own_with_balance_lines():
    assert parse_keys(f"{A}\n{B}\n{C}\n").keys == [A, B, C]  # Siliconflow-Worker: one key per line
    assert parse_keys(f"{A}\\t{B}\\t{C}").keys == [A, B, C]
    parsed = parse_keys(f"{A}----12.5\n{B}----unknown\n{C}-----0.02")
    assert parsed.keys == [A, B, C] and parsed.invalid == 0
    assert parsed.carried[A].balance == 12.5 and B not in parsed.carried and parsed.carried[C].balance == -0.02
    # a bare number is a balance column, never a key; a number after a comma is no key's balance
    parsed = parse_keys(f"{A}, 14.5, {B}")
    assert parsed.keys == [A, B] and parsed.carried == {} and parsed.invalid == 0

"""core/log_csv.py: the request log as CSV for spreadsheets (UTF-8 with a BOM, times in UTC,
client-chosen text never read as a formula)."""

from __future__ import annotations

import csv
import io

from keypool.core.log_csv import COLUMNS, csv_filename, csv_part

ROW = {"id": 7, "ts": 1_700_000_000.25, "client_name": "李's laptop", "client_key_id": 2, "upstream_key": "sk-abcd...wxyz",
       "key_id": 3, "method": "POST", "endpoint": "/v1/chat/completions", "model": "=1+2", "stream": 1, "status": 429,
       "latency_ms": 12.3456, "ttfb_ms": None, "attempts": 2, "error_class": "rate_limited", "prompt_tokens": None,
       "completion_tokens": 0}


def test_the_first_part_has_the_bom_and_the_header():
    text = csv_part([ROW], header=True)
    assert text.startswith("\ufeff" + ",".join(COLUMNS) + "\r\n")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows == [{"id": "7", "time": "2023-11-14T22:13:20.250Z", "client_key": "李's laptop", "client_key_id": "2",
                     "upstream_key": "sk-abcd...wxyz", "key_id": "3", "method": "POST",
                     "endpoint": "/v1/chat/completions", "model": "'=1+2", "stream": "1", "status": "429",
                     "latency_ms": "12.346", "ttfb_ms": "", "attempts": "2", "error_class": "rate_limited",
                     "prompt_tokens": "", "completion_tokens": "0"}]


def test_later_parts_are_rows_only():
    assert csv_part([ROW], header=False).startswith("7,2023-11-14T22:13:20.250Z,")
    assert csv_part([], header=False) == ""


def test_formula_starts_are_quoted_and_commas_stay_in_their_cell():
    for text in ("=cmd()", "+1", "-1", "@x", "\tx"):
        assert list(csv.reader(io.StringIO(csv_part([{**ROW, "model": text}], header=False))))[0][8] == "'" + text
    cell = list(csv.reader(io.StringIO(csv_part([{**ROW, "client_name": 'a, "b"\nc'}], header=False))))[0][2]
    assert cell == 'a, "b"\nc'


def test_the_file_is_named_after_the_time():
    assert csv_filename(1_700_000_000) == "keypool-requests-20231114-2213.csv"

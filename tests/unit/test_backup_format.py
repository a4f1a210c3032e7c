"""The backup document (core/backup.py): written in pieces, read back whole or
refused whole, packed into chunks the store can bind, split into parts."""

from __future__ import annotations

import json

import pytest

from keypool.core.backup import (KEY_COLUMNS, BackupError, BackupVersionError, document_head, document_tail, names,
                                 read_backup, split_backup)

LIMIT = 1_900_000
KEY = "sk-" + "q" * 48
HASH = "ab" * 32


def key_row(i: int, **changes) -> list:
    row = dict(zip(names(KEY_COLUMNS), [f"sk-{i:048d}", "valid", 1, 14.0 - i / 100, 14.0, 0.0, 1733000000 + i,
                                         1733000100 + i, None, None, 0, i, 10 * i, 20 * i]))
    row.update(blocks=[["deepseek-ai/DeepSeek-V3", "rate_limited", 1733003600.125]] if i % 3 == 0 else [],
               history=[[1733000050 + i, 14.0], [1733000060 + i, 0.30000000000000004]] if i % 2 == 0 else [])
    row.update(changes)
    return list(row.values())


CLIENT = ["app", HASH, "sk-kp-abc...wxyz", 1, 1733000000, None, ["deepseek-ai/DeepSeek-V3"], 60, None, None, 0,
          12, 3400, 560, 1733000500]
POOL = ["2024-12-01", 1733000000, 140.5, 10]


def document(rows: list[list], settings: dict | None = None, clients: list | None = None, pool: list | None = None,
             end: dict | None = None) -> str:
    clients = [CLIENT] if clients is None else clients
    pool = [POOL] if pool is None else pool
    counts = {"keys": len(rows), "blocks": sum(len(r[-2]) for r in rows), "history": sum(len(r[-1]) for r in rows),
              "client_keys": len(clients), "pool_history": len(pool), **(end or {})}
    return (document_head(1733009999, settings or {"strategy": "weighted"}, [json.dumps(c) for c in clients],
                          [json.dumps(p) for p in pool])
            + ",\n".join(json.dumps(r) for r in rows) + document_tail(counts))


def chunk_rows(chunks: list[str]) -> list:
    return [row for chunk in chunks for row in json.loads(chunk)]


def test_a_document_reads_back_as_chunks_of_rows_in_column_order():
    rows = [key_row(i) for i in range(10)]
    backup = read_backup(document(rows).encode(), LIMIT)
    assert backup.created_at == 1733009999 and backup.settings == {"strategy": "weighted"}
    assert backup.counts == {"keys": 10, "blocks": 4, "history": 10, "client_keys": 1, "pool_history": 1}
    assert chunk_rows(backup.key_chunks) == [row[:-2] for row in rows]
    assert chunk_rows(backup.history_chunks) == [[row[0], row[-1]] for row in rows if row[-1]]
    assert chunk_rows(backup.block_chunks) == [[row[0], row[7], row[-2]] for row in rows if row[-2]]
    assert backup.client_keys == [[*CLIENT[:6], json.dumps(CLIENT[6]), *CLIENT[7:]]]  # stored as the app stores it
    assert backup.pool_history == [POOL]
    assert 0.30000000000000004 in json.loads(backup.history_chunks[0])[0][1][1]  # every digit kept


def test_member_order_does_not_matter():
    rows = [key_row(i) for i in range(4)]
    reordered = json.dumps(json.loads(document(rows)), sort_keys=True, indent=2)
    assert read_backup(reordered, LIMIT).counts == read_backup(document(rows), LIMIT).counts


def test_every_cut_of_a_document_is_refused():
    text = document([key_row(i) for i in range(3)]).rstrip("\n")
    for cut in range(len(text)):
        with pytest.raises(BackupError):
            read_backup(text[:cut], LIMIT)
    read_backup(text, LIMIT)


def test_the_end_must_agree_with_what_the_document_holds():
    rows = [key_row(i) for i in range(3)]
    with pytest.raises(BackupError, match="cut short or edited"):
        read_backup(document(rows, end={"keys": 4}), LIMIT)
    with pytest.raises(BackupError, match="history"):
        read_backup(document(rows, end={"history": 0}), LIMIT)
    no_end = document(rows).replace(',\n"end":', ',\n"x_end":')
    with pytest.raises(BackupError):
        read_backup(no_end, LIMIT)


@pytest.mark.parametrize("version", [2, 0, "1", None, 1.5])
def test_another_format_version_is_refused(version):
    text = document([key_row(1)]).replace('"version":1', f'"version":{json.dumps(version)}')
    with pytest.raises(BackupVersionError, match="version"):
        read_backup(text, LIMIT)


def test_a_wrong_version_is_named_even_when_rows_are_bad_too():
    text = document([key_row(1, status="brand-new")]).replace('"version":1', '"version":2')
    with pytest.raises(BackupVersionError):
        read_backup(text, LIMIT)


def test_not_a_backup():
    for text in ('{"keys": "sk-abc"}', '{"format": "other", "version": 1}', "[]", "", "   "):
        with pytest.raises(BackupError):
            read_backup(text, LIMIT)
    with pytest.raises(BackupError, match="not a Silicon Key Pool backup"):
        read_backup(document([key_row(1)]).replace("silicon-key-pool-backup", "something-else"), LIMIT)


@pytest.mark.parametrize("changes, says", [
    ({"key": "sk-short"}, "key is not a well-formed upstream key"),
    ({"key": KEY + "!"}, "key is not"),
    ({"key": None}, "key is not"),
    ({"status": "disabled"}, "status must be one of"),
    ({"enabled": 2}, "enabled must be"),
    ({"balance": "14"}, "balance must be a number"),
    ({"balance": 1e13}, "balance must be a finite number"),
    ({"added_at": 1733000000000}, "added_at must be a whole number"),
    ({"added_at": None}, "added_at must be"),
    ({"request_count": -1}, "request_count must be"),
    ({"last_error": "x" * 2001}, "last_error must be"),
    ({"last_error": "\ud800"}, "unpaired UTF-16 surrogate"),
    ({"history": [[1733000000]]}, "history[0]: must be a list of 2 values"),
    ({"history": {"ts": 1}}, "history must be a list"),
    ({"blocks": [["m", "x", None], ["m", "y", None]]}, "excluded twice"),
])
def test_a_malformed_row_refuses_the_whole_document_and_never_echoes_a_key(changes, says):
    rows = [key_row(i) for i in range(5)] + [key_row(9, **changes)]
    with pytest.raises(BackupError) as error:
        read_backup(document(rows), LIMIT)
    assert "keys row 6" in str(error.value) and says in str(error.value)
    assert "sk-short" not in str(error.value) and KEY not in str(error.value)


def test_nan_and_infinity_are_not_numbers():
    text = document([key_row(1)]).replace("13.99", "NaN", 1)
    with pytest.raises(BackupError, match="NaN"):
        read_backup(text, LIMIT)


def test_the_same_key_client_key_or_day_twice_is_refused():
    with pytest.raises(BackupError, match="twice"):
        read_backup(document([key_row(1), key_row(2), key_row(1)]), LIMIT)
    with pytest.raises(BackupError, match="twice"):
        read_backup(document([key_row(1)], clients=[CLIENT, CLIENT]), LIMIT)
    with pytest.raises(BackupError, match="twice"):
        read_backup(document([key_row(1)], pool=[POOL, POOL]), LIMIT)


def test_an_older_document_without_optional_columns_reads_with_defaults():
    full = json.loads(document([key_row(2)]))
    columns = full["keys"]["columns"]
    keep = [c for c in columns if c not in ("gift_balance", "charge_balance", "fail_count", "blocks")]
    full["keys"]["columns"] = keep
    full["keys"]["rows"] = [[row[columns.index(c)] for c in keep] for row in full["keys"]["rows"]]
    full["end"]["blocks"] = 0
    backup = read_backup(json.dumps(full), LIMIT)
    (row,) = chunk_rows(backup.key_chunks)
    assert dict(zip(names(KEY_COLUMNS), row))["gift_balance"] is None
    assert dict(zip(names(KEY_COLUMNS), row))["fail_count"] == 0
    assert backup.block_chunks == []


def test_unknown_or_missing_required_columns_are_refused():
    full = json.loads(document([key_row(2)]))
    newer = json.loads(json.dumps(full))
    newer["keys"]["columns"].append("tier")
    newer["keys"]["rows"][0].append("gold")
    with pytest.raises(BackupError, match="unknown column"):
        read_backup(json.dumps(newer), LIMIT)
    older = json.loads(json.dumps(full))
    at = older["keys"]["columns"].index("added_at")
    del older["keys"]["columns"][at], older["keys"]["rows"][0][at]
    with pytest.raises(BackupError, match="required column"):
        read_backup(json.dumps(older), LIMIT)
    with pytest.raises(BackupError, match="unknown section"):
        read_backup(document([key_row(1)]).replace('"end":', '"secrets":{},"end":'), LIMIT)


def test_chunks_stay_within_the_byte_limit_and_keep_every_row_in_order():
    rows = [key_row(i, last_error="é" * (i % 50)) for i in range(400)]
    limit = 5_000
    backup = read_backup(document(rows), limit)
    assert len(backup.key_chunks) > 10
    assert all(len(chunk.encode()) <= limit for chunk in backup.key_chunks + backup.history_chunks)
    assert chunk_rows(backup.key_chunks) == [row[:-2] for row in rows]
    with pytest.raises(BackupError, match="one row takes more than"):
        read_backup(document([key_row(1, last_error="x" * 1500)]), 1_000)


def test_a_split_backup_is_parts_that_add_up_to_the_whole():
    rows = [key_row(i) for i in range(25)]
    whole = read_backup(document(rows), LIMIT)
    parts = [read_backup(part, LIMIT) for part in split_backup(document(rows), 10)]
    assert [part.counts["keys"] for part in parts] == [10, 10, 5]
    assert parts[0].settings == whole.settings and parts[0].client_keys == whole.client_keys
    assert all(part.settings == {} and part.client_keys == [] for part in parts[1:])
    assert sum((chunk_rows(part.key_chunks) for part in parts), []) == chunk_rows(whole.key_chunks)
    assert sum(part.counts["history"] for part in parts) == whole.counts["history"]
    with pytest.raises(BackupError):
        split_backup(document(rows)[:-30], 10)

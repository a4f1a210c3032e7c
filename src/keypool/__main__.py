"""Command line: serve, migrate, import, refresh, backup, restore, split."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from .settings import Settings

DEFAULT_DB = "keypool.sqlite3"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m keypool", description="Silicon Key Pool")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the local server (API, proxy, admin UI)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8787)
    serve.add_argument("--db", default=DEFAULT_DB, help="SQLite file (created if missing)")

    migrate = commands.add_parser("migrate", help="create or update the database schema")
    migrate.add_argument("--db", default=DEFAULT_DB)

    imp = commands.add_parser("import", help="add keys from a file (or - for stdin)")
    imp.add_argument("file")
    imp.add_argument("--db", default=DEFAULT_DB)

    refresh = commands.add_parser("refresh", help="run the scheduled tick once: a chunk of each running "
                                  "check job, else re-check the keys checked longest ago; prune logs; alerts")
    refresh.add_argument("--db", default=DEFAULT_DB)

    reset = commands.add_parser("reset-password", help="set a new admin password (generated and printed, or "
                                "read from stdin with --stdin); it wins over ADMIN_PASSWORD and ends every session")
    reset.add_argument("--db", default=DEFAULT_DB)
    reset.add_argument("--stdin", action="store_true", help="read the new password from the first line of stdin")
    backup = commands.add_parser("backup", help="write the whole pool as one JSON document (keys in plain text: "
                                 "keep it private)")
    backup.add_argument("--db", default=DEFAULT_DB)
    backup.add_argument("--output", "-o", default="-", help="file to write (default: standard output)")

    restore = commands.add_parser("restore", help="apply a backup document (or - for stdin)")
    restore.add_argument("file")
    restore.add_argument("--db", default=DEFAULT_DB)
    restore.add_argument("--mode", choices=("merge", "replace"), default="merge",
                         help="merge: add what is missing, update keys where the backup is newer (default); "
                              "replace: the pool becomes the backup")

    split = commands.add_parser("split", help="cut a backup into smaller whole backups (a Worker restores a part "
                                "per request)")
    split.add_argument("file")
    split.add_argument("--keys", type=int, default=25_000, help="keys per part (default 25000)")
    return parser


async def _migrate(path: str) -> None:
    from .server import open_database

    (await open_database(path)).close()
    print(f"schema applied to {path}")


async def _import(path: str, source: str) -> None:
    from .core.keys import parse_keys
    from .server import open_database
    from .store import Store

    text = sys.stdin.read() if source == "-" else open(source, encoding="utf-8").read()
    parsed = parse_keys(text)
    db = await open_database(path)
    try:
        import time

        store, now = Store(db), int(time.time())
        if parsed.carried:  # an older project's export or dump: its balances and dates come along
            added = await store.backup.add_keys(parsed.keys, parsed.carried, now)
        else:
            added = await store.keys.add(parsed.keys, now)
    finally:
        db.close()
    print(f"added {added}, duplicates {parsed.duplicates + len(parsed.keys) - added}, invalid {parsed.invalid}")


async def _refresh(path: str) -> None:
    import json

    from .adapters.aiohttp_upstream import AiohttpUpstream
    from .adapters.file_assets import FileAssets
    from .adapters.hashlib_kdf import HashlibKeyDerivation
    from .adapters.system_clock import SystemClock
    from .adapters.system_resolver import SystemResolver
    from .app import create_app
    from .server import STATIC_DIR, open_database

    db = await open_database(path)
    upstream = AiohttpUpstream()
    try:
        app = create_app(Settings.from_env(os.environ), db, upstream, FileAssets(STATIC_DIR), SystemClock(),
                         HashlibKeyDerivation(), SystemResolver())
        app.jobs.limited = False  # no Worker subrequest budget here
        summary = await app.scheduled()
    finally:
        await upstream.aclose()
        db.close()
    print(json.dumps(summary))


async def _reset_password(path: str, from_stdin: bool) -> int:
    import time

    from .adapters.hashlib_kdf import HashlibKeyDerivation
    from .auth import reset_password
    from .server import open_database
    from .store import Store

    given = sys.stdin.readline().rstrip("\r\n") if from_stdin else None
    db = await open_database(path)
    try:
        password = await reset_password(Store(db), HashlibKeyDerivation(), time.time(), given)
    except ValueError as exc:
        print(f"keypool: {exc}", file=sys.stderr)
        return 2
    finally:
        db.close()
    print("new admin password set; every session has ended" if given else f"new admin password: {password}")
    return 0


async def _backup(path: str, output: str) -> None:
    import time

    from .handlers.backup import backup_stream
    from .server import open_database
    from .store import Store

    db = await open_database(path)
    out = sys.stdout.buffer if output == "-" else open(output, "wb")
    try:
        part, chunks = await backup_stream(Store(db), time.time())
        async for chunk in chunks:
            out.write(chunk)
        out.flush()
    finally:
        if out is not sys.stdout.buffer:
            out.close()
        db.close()
    print(f"backed up {part['keys']} keys from {path}", file=sys.stderr)


async def _restore(path: str, source: str, mode: str) -> int:
    import json

    from .handlers.backup import restore_document
    from .http import HTTPError
    from .server import open_database
    from .store import Store

    data = sys.stdin.buffer.read() if source == "-" else open(source, "rb").read()
    db = await open_database(path)
    try:
        result = await restore_document(Store(db), data, mode)
    except HTTPError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    finally:
        db.close()
    print(json.dumps(result, indent=1))
    return 0


def _split(source: str, keys: int) -> int:
    from pathlib import Path

    from .core.backup import BackupError, split_backup

    path = Path(source)
    try:
        parts = split_backup(path.read_bytes(), keys)
    except (BackupError, ValueError) as exc:
        print(f"not split: {exc}", file=sys.stderr)
        return 1
    for number, part in enumerate(parts, 1):
        out = path.with_name(f"{path.stem}.part{number:03d}{path.suffix or '.json'}")
        out.write_text(part, encoding="utf-8")
        print(out)
    print(f"{len(parts)} part(s): restore them in order, the first with the mode you want, the others with "
          "mode=merge; a part that failed can be sent again", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "serve":
        from .server import run

        try:
            settings = Settings.from_env(os.environ)
        except ValueError as exc:
            print(f"keypool: {exc}", file=sys.stderr)
            return 2
        if problem := settings.token_problem():
            print(f"keypool: {problem}", file=sys.stderr)
            return 2
        run(settings, args.host, args.port, args.db)
    elif args.command == "migrate":
        asyncio.run(_migrate(args.db))
    elif args.command == "import":
        asyncio.run(_import(args.db, args.file))
    elif args.command == "refresh":
        asyncio.run(_refresh(args.db))
    elif args.command == "reset-password":
        return asyncio.run(_reset_password(args.db, args.stdin))
    elif args.command == "backup":
        asyncio.run(_backup(args.db, args.output))
    elif args.command == "restore":
        return asyncio.run(_restore(args.db, args.file, args.mode))
    elif args.command == "split":
        return _split(args.file, args.keys)
    return 0


if __name__ == "__main__":
    sys.exit(main())

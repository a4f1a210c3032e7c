"""Command line: serve, migrate, import, refresh."""

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

        added = await Store(db).keys.add(parsed.keys, int(time.time()))
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
    return 0


if __name__ == "__main__":
    sys.exit(main())

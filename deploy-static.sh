#!/usr/bin/env bash
# Uploads the admin UI (every file under static/, the vendored libraries included) into the
# STATIC_CONTENT KV namespace, each file under its path below static/ with its ETag as metadata.
#   ./deploy-static.sh                           to Cloudflare (after `npx wrangler login`)
#   ./deploy-static.sh --local                   to the local store of `wrangler dev --local`
#   ./deploy-static.sh --local --persist-to DIR  to the local store in DIR (`wrangler dev --persist-to DIR`)
# One `wrangler kv bulk put` for all changed files (a `kv key put` per file costs about a second
# each), one `kv bulk delete` for files gone from static/. A manifest of what was uploaded lets an
# unchanged file be skipped (the free plan allows 1,000 KV writes a day); it sits in the local store,
# or under .wrangler/ per namespace id for Cloudflare. Delete it to upload everything again.
# A running Worker keeps a file it read for up to 30 s (src/keypool/adapters/kv_assets.py).
set -euo pipefail
cd "$(dirname "$0")"

target=--remote
persist=()
while [ $# -gt 0 ]; do
  case "$1" in
    --local|--remote) target=$1 ;;
    --persist-to) persist=(--persist-to "${2:?--persist-to needs a folder}"); shift ;;
    *) echo "usage: $0 [--local [--persist-to DIR] | --remote]" >&2; exit 2 ;;
  esac
  shift
done
if [ ${#persist[@]} -gt 0 ] && [ "$target" != --local ]; then
  echo "--persist-to goes with --local" >&2; exit 2
fi

[ -d node_modules/wrangler ] || npm ci --no-audit --no-fund --loglevel=error

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Decide what to write: manifest (name -> etag) of the last upload against static/ now.
python3 - "$target" "${persist[1]:-}" "$work" <<'PY'
import base64, hashlib, json, re, sys
from pathlib import Path

target, persist, work = sys.argv[1], sys.argv[2], Path(sys.argv[3])
if target == "--local":
    manifest = Path(persist or ".wrangler/state") / "static-manifest.json"
else:
    ids = re.findall(r'binding\s*=\s*"STATIC_CONTENT"\s*\n(?:#.*\n)*\s*id\s*=\s*"([^"]+)"', Path("wrangler.toml").read_text())
    manifest = Path(".wrangler") / f"static-manifest-{ids[0] if ids else 'remote'}.json"
old = json.loads(manifest.read_text()) if manifest.exists() else {}
files = sorted(p for p in Path("static").rglob("*") if p.is_file() and not p.name.startswith("."))
now = {p.relative_to("static").as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()[:32] for p in files}
puts = [{"key": name, "value": base64.b64encode((Path("static") / name).read_bytes()).decode(), "base64": True,
         "metadata": {"etag": etag}} for name, etag in now.items() if old.get(name) != etag]
gone = sorted(set(old) - set(now))
(work / "put.json").write_text(json.dumps(puts))
(work / "delete.json").write_text(json.dumps(gone))
(work / "manifest").write_text(str(manifest))
(work / "new-manifest.json").write_text(json.dumps(now, indent=1, sort_keys=True))
print(f"{len(now)} files in static/: {len(puts)} to upload, {len(gone)} to delete, "
      f"{len(now) - len(puts)} unchanged")
PY

wrangler() {
  WRANGLER_SEND_METRICS=false npx --no-install wrangler "$@"
}
if [ "$(cat "$work/put.json")" != "[]" ]; then
  wrangler kv bulk put --binding STATIC_CONTENT "$target" "${persist[@]}" "$work/put.json" >/dev/null
fi
if [ "$(cat "$work/delete.json")" != "[]" ]; then
  wrangler kv bulk delete --binding STATIC_CONTENT "$target" "${persist[@]}" --force "$work/delete.json" >/dev/null
fi
manifest=$(cat "$work/manifest")
mkdir -p "$(dirname "$manifest")"
cp "$work/new-manifest.json" "$manifest"
echo "static files are up to date in STATIC_CONTENT ($target${persist[1]:+ ${persist[1]}})"

#!/usr/bin/env bash
# Uploads the admin UI (static/) into the STATIC_CONTENT KV namespace.
#   ./deploy-static.sh            to Cloudflare (after `npx wrangler login`)
#   ./deploy-static.sh --local    to the local store used by `wrangler dev --local`
# KV allows one write per key per second and 1,000 writes a day on the free
# plan: only files whose content changed since the last upload are written.
set -euo pipefail
cd "$(dirname "$0")"

target=--remote
[ "${1:-}" = "--local" ] && target=--local
stamp_dir=".wrangler/static-uploaded${target}"
mkdir -p "$stamp_dir"

[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error

find static -type f | sort | while read -r file; do
  name="${file#static/}"
  sum=$(sha256sum "$file" | cut -c1-64)
  stamp="$stamp_dir/$(echo "$name" | tr '/' '_').sha256"
  if [ -e "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
    continue
  fi
  echo "uploading $name"
  npx --no-install wrangler kv key put --binding STATIC_CONTENT "$target" "$name" --path "$file" >/dev/null
  echo "$sum" > "$stamp"
done
echo "static files are up to date in STATIC_CONTENT ($target)"

#!/usr/bin/env bash
# Build the console into console/dist when its sources changed (scripts/run and scripts/test-console call this).
# Installs its node packages (npm ci, from package-lock.json) when node_modules is missing or the lock changed.
# The stamp console/dist/.stamp is a hash of src/, index.html, vite.config.js and package-lock.json.
#   CONSOLE_SKIP_BUILD=1  do nothing (use the dist that is there)
set -euo pipefail
cd "$(dirname "$0")"
[ "${CONSOLE_SKIP_BUILD:-0}" = 1 ] && exit 0
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "» 未找到 Node.js，管理端没有构建 (Node.js >= 18 with npm builds the console; /console/ says so until then)" >&2
  exit 3
fi
lock=$(sha256sum package-lock.json | cut -c1-16)
if [ ! -f node_modules/.installed ] || [ "$(cat node_modules/.installed)" != "$lock" ]; then
  echo "» installing the console's node packages (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$lock" > node_modules/.installed
fi
stamp=$( { find src -type f | LC_ALL=C sort; echo index.html vite.config.js package-lock.json; } \
  | xargs sha256sum | sha256sum | cut -c1-16)
if [ -f dist/.stamp ] && [ "$(cat dist/.stamp)" = "$stamp" ] && [ -f dist/index.html ]; then
  echo "» the console is up to date (console/dist)" >&2
  exit 0
fi
echo "» building the console (its sources changed): console/dist" >&2
node_modules/.bin/vite build --logLevel warn >&2
echo "$stamp" > dist/.stamp

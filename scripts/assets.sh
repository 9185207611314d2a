#!/usr/bin/env bash
# Install the pages' browser libraries from the npm registry at the locked versions and copy
# them into the static folder. The copies are not committed (see .gitignore): run this after
# a checkout and whenever package-lock.json changes.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vendor="$root/src/medshare/web/static/vendor"

cd "$root"
npm ci --no-audit --no-fund
mkdir -p "$vendor"
cp node_modules/htmx.org/dist/htmx.min.js "$vendor/htmx.min.js"
cp node_modules/echarts/dist/echarts.min.js "$vendor/echarts.min.js"
echo "copied htmx and echarts into ${vendor#"$root"/}"

#!/usr/bin/env bash
# Install a headless n8n runtime for the end-to-end test, once, under the user's cache directory.
# Why: n8n is 2.3 GB and takes minutes to install; it must never live in the repo and is reused between runs.
# n8n 2.8.4 is the last release that runs on Node 20; its `xlsx` dependency points at an unreachable host,
# so the installing package.json pins the registry's xlsx 0.18.5 through `overrides`.
set -euo pipefail

version="${N8N_VERSION:-2.8.4}"
root="${XDG_CACHE_HOME:-$HOME/.cache}/tollgate-n8n/$version"
bin="$root/node_modules/.bin/n8n"

if [ -x "$bin" ] && [ -f "$root/.complete" ]; then
  echo "n8n $version already installed in $root"
  exit 0
fi

mkdir -p "$root"
cd "$root"
cat > package.json <<JSON
{
  "name": "tollgate-n8n-runtime",
  "private": true,
  "dependencies": { "n8n": "$version" },
  "overrides": { "xlsx": "0.18.5" }
}
JSON
echo "installing n8n $version into $root (4-10 minutes)..."
npm install --no-audit --no-fund --loglevel=error
"$bin" --version
touch .complete
echo "n8n $version ready: $bin"

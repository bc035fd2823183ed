#!/usr/bin/env bash
# The project's two entry points, from a fresh Debian machine with only Node 20 and npm:
#   bash scripts/run.sh demo   the end-to-end offline story (in-process card, embedded SQLite; no root needed)
#   bash scripts/run.sh test   every test: typecheck, test-vector regeneration check, the vitest suite
#                              (installs and starts pcscd + vpcd for the PC/SC end-to-end tests; needs root/apt)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PNPM_VERSION=10.34.9

ensure_pnpm() {
  if command -v pnpm >/dev/null 2>&1 && [[ "$(pnpm --version)" == "$PNPM_VERSION" ]]; then return; fi
  # A project-local pnpm: no global install, so it works without root too.
  if [[ ! -x "$ROOT/.tmp/tools/node_modules/.bin/pnpm" ]]; then
    echo "==> installing pnpm $PNPM_VERSION into .tmp/tools" >&2
    npm install --silent --no-audit --no-fund --prefix "$ROOT/.tmp/tools" "pnpm@$PNPM_VERSION" >&2
  fi
  export PATH="$ROOT/.tmp/tools/node_modules/.bin:$PATH"
}

install_deps() {
  echo "==> pnpm install" >&2
  # nodedir: native addons (better-sqlite3, pcsclite) compile against this machine's Node headers.
  npm_config_nodedir="${npm_config_nodedir:-/usr}" pnpm install --frozen-lockfile --reporter=append-only >&2
}

cmd="${1:-}"
shift || true
case "$cmd" in
  demo)
    ensure_pnpm
    install_deps
    echo "==> build (tsc -b: every package to dist/)" >&2
    pnpm --silent build
    exec pnpm --silent demo "$@"
    ;;
  test)
    # PC/SC libraries must exist before pnpm install builds the optional reader driver.
    bash scripts/pcsc-stack.sh install
    ensure_pnpm
    install_deps
    bash scripts/pcsc-stack.sh start
    trap 'bash scripts/pcsc-stack.sh stop || true' EXIT
    echo "==> build (tsc -b: every package to dist/; the bins run it)" >&2
    pnpm --silent build
    echo "==> typecheck" >&2
    pnpm --silent typecheck
    echo "==> lint (eslint: typescript-eslint, no import cycles, no enums)" >&2
    pnpm --silent lint
    echo "==> format (prettier --check)" >&2
    pnpm --silent format:check
    echo "==> spec references resolve (every path and code name docs/protocol.md gives)" >&2
    pnpm --silent spec:check
    echo "==> test vectors regenerate byte for byte" >&2
    pnpm --silent vectors:check
    echo "==> vitest" >&2
    mkdir -p .tmp
    status=0
    pnpm exec vitest run --reporter=default --reporter=json --outputFile=.tmp/vitest-report.json "$@" || status=$?
    node scripts/test-summary.mjs .tmp/vitest-report.json || true
    exit "$status"
    ;;
  *)
    echo "usage: bash scripts/run.sh demo|test" >&2
    exit 2
    ;;
esac

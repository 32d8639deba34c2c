#!/usr/bin/env bash
# make e2e-cluster: runs the cluster-e2e module's tests on the real single-node cluster.
# Starts the cluster when it is not up and then stops it again, whatever the tests' outcome;
# a cluster that was already up is left running.
#
# Usage: k8s/cluster/e2e.sh [mvn]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
mvn="${1:-mvn}"
run="${BDK_CLUSTER_DIR:-$repo/.run/cluster}"

started_here=false
if ! "$here/cluster.sh" status | grep -qE '^  kube-apiserver +[0-9]+ '; then
  started_here=true
  trap '"$here/cluster.sh" down' EXIT
  "$here/cluster.sh" up
fi

cd "$repo"
"$mvn" -B -pl cluster-e2e -am install -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtest='io.voyager.bdk.cluster.**' \
  -Dbdk.cluster.dir="$run" -Dbdk.cluster.required=true
if [[ "$started_here" == false ]]; then
  echo "e2e.sh: the cluster was already up before; it keeps running (make cluster-down stops it)"
fi

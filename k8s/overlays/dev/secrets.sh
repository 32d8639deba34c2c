#!/usr/bin/env bash
# What a dev install needs before its pods start, without cert-manager or an OIDC provider:
#   - the TLS Secrets (k8s/tls-secrets.sh: the internal CA, the services' server certificates,
#     Envoy's client certificate; with --edge-host, the public HTTPS certificate too)
#   - the development token issuer (bdkctl dev-issuer: keys kept in RUN_DIR/auth/issuer.json) and its
#     public keys as ConfigMap bdk/bdk-jwks, which the dev overlay's xds-server and library-service read
#
#   k8s/overlays/dev/secrets.sh [--run-dir DIR] [--edge-host HOST]...
#
# DIR (default .run/bdk-dev) keeps the CA keys (DIR/tls) and the issuer (DIR/auth): owner-only,
# never commit it. Then: bin/bdkctl token --run-dir DIR --role platform-admin (or --org ORG …)
# signs tokens the install accepts. Running it again keeps the CAs and the issuer and renews the
# certificates. Environment: KUBECTL (default kubectl), KUBECONFIG as kubectl reads it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
run_dir="$repo/.run/bdk-dev"
tls_args=()
while (($#)); do
  case "$1" in
    --run-dir) run_dir="${2:?--run-dir needs a directory}"; shift 2 ;;
    --edge-host) tls_args+=(--edge-host "${2:?--edge-host needs a host}"); shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
    *) echo "secrets.sh: error: unknown argument $1 (--help)" >&2; exit 2 ;;
  esac
done
kubectl="${KUBECTL:-kubectl}"
bdkctl="${BDKCTL:-$repo/bin/bdkctl}"

"$repo/k8s/tls-secrets.sh" --dir "$run_dir/tls" "${tls_args[@]}"

jwks="$("$bdkctl" dev-issuer --run-dir "$run_dir")"
"$kubectl" -n bdk create configmap bdk-jwks --from-literal=jwks.json="$jwks" --dry-run=client -o yaml \
  | "$kubectl" apply --server-side --force-conflicts --field-manager=bdk-dev-secrets -f - >/dev/null
echo "secrets.sh: ConfigMap bdk/bdk-jwks: the public keys of issuer bdk-dev ($run_dir/auth/issuer.json);" \
  "tokens: $bdkctl token --run-dir $run_dir --role platform-admin" >&2

#!/usr/bin/env bash
# The gateway's TLS Secrets without cert-manager, made with openssl: what k8s/cert-manager asks
# cert-manager for, for clusters that do not run it (development clusters, make cluster's node) or
# operators who issue certificates another way.
#
#   k8s/tls-secrets.sh [--dir DIR] [--edge-host HOST]...
#
# Makes, in namespace bdk (created when missing; the overlay labels it):
#   the internal CA        DIR/internal-ca.crt, DIR/internal-ca.key: ECDSA P-256, 10 years, made
#                          once and kept (every certificate below is trusted through it)
#   xds-server-tls         server certificates with DNS <Service>.bdk.svc and .svc.cluster.local,
#   ext-authz-tls          90 days (Envoy checks the name; the services want a client certificate of
#   book-library-tls       the internal CA)
#   envoy-internal-tls     Envoy's client certificate, URI spiffe://bdk/envoy/bdk-gateway, also the
#                          server certificate of its internal listener (DNS envoy-internal.bdk.svc)
#   webhook-relay-tls      the relay's: server (DNS webhook-relay.bdk.svc) and client (URI
#                          spiffe://bdk/webhook-relay), as k8s/cert-manager issues them
#   bdk-edge-tls           with --edge-host only: the public HTTPS certificate for those hosts (DNS
#                          names or IP addresses), from a separate self-signed edge CA
#                          (DIR/edge-ca.crt: what clients trust, e.g. curl --cacert). For a real
#                          edge certificate use your CA instead:
#                          kubectl -n bdk create secret tls bdk-edge-tls --cert=… --key=…
# Each as cert-manager writes it: type kubernetes.io/tls with tls.crt, tls.key (PKCS#8) and ca.crt.
# Running it again issues new certificates from the same CAs and replaces the Secrets in place:
# the services re-read their files within 30 s, Envoy reloads its watched files; nothing restarts.
# That is also how to renew before the 90 days are over.
#
# Environment: KUBECTL (default kubectl on PATH), KUBECONFIG as kubectl reads it.
# DIR (default .run/bdk-tls) keeps the CA keys: owner-only, never commit it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$(cd "$here/.." && pwd)/.run/bdk-tls"
namespace=bdk
edge_hosts=()
days=90

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
die() { printf 'tls-secrets.sh: error: %s\n' "$*" >&2; exit 1; }
log() { printf 'tls-secrets.sh: %s\n' "$*" >&2; }

while (($#)); do
  case "$1" in
    --dir) dir="${2:?--dir needs a directory}"; shift 2 ;;
    --edge-host) edge_hosts+=("${2:?--edge-host needs a host name or IP address}"); shift 2 ;;
    -h|--help) usage ;;
    *) printf 'tls-secrets.sh: error: unknown argument %s\n' "$1" >&2; usage ;;
  esac
done
kubectl="${KUBECTL:-kubectl}"
command -v openssl >/dev/null || die "openssl not found (apt-get install openssl)"
command -v "$kubectl" >/dev/null || die "kubectl not found: set KUBECTL (make cluster-status names the build's)"

for host in "${edge_hosts[@]}"; do
  [[ "$host" =~ ^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$ || "$host" =~ ^[0-9a-fA-F:]+$ ]] \
    || die "--edge-host '$host' is neither a DNS name nor an IP address"
done

mkdir -p "$dir"
chmod 0700 "$dir"
umask 077
work="$(mktemp -d "$dir/.work.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# ca NAME SUBJECT: a self-signed CA, made once.
ca() {
  local name="$1" subject="$2"
  if [[ -s "$dir/$name.crt" && -s "$dir/$name.key" ]]; then
    return 0
  fi
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$name.key" 2>/dev/null
  openssl req -x509 -new -key "$dir/$name.key" -subj "/CN=$subject" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$dir/$name.crt" 2>/dev/null
  log "made $subject ($dir/$name.crt)"
}

# issue CA SECRET CN USAGE SAN: a PKCS#8 key and a certificate, applied as Secret SECRET.
issue() {
  local ca="$1" secret="$2" cn="$3" usage="$4" san="$5"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/$secret.key" 2>/dev/null
  openssl req -new -key "$work/$secret.key" -subj "/CN=$cn" -out "$work/$secret.csr" 2>/dev/null
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=$usage" "subjectAltName=$san" >"$work/$secret.ext"
  openssl x509 -req -in "$work/$secret.csr" -CA "$dir/$ca.crt" -CAkey "$dir/$ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days "$days" -sha256 -extfile "$work/$secret.ext" \
    -out "$work/$secret.crt" 2>/dev/null
  "$kubectl" -n "$namespace" create secret generic "$secret" --type=kubernetes.io/tls \
    --from-file=tls.crt="$work/$secret.crt" --from-file=tls.key="$work/$secret.key" \
    --from-file=ca.crt="$dir/$ca.crt" --dry-run=client -o yaml \
    | "$kubectl" apply --server-side --force-conflicts --field-manager=bdk-tls-secrets -f - >/dev/null
  log "Secret $namespace/$secret: $san, until $(openssl x509 -noout -enddate -in "$work/$secret.crt" | cut -d= -f2)"
}

if ! "$kubectl" get namespace "$namespace" >/dev/null 2>&1; then
  "$kubectl" create namespace "$namespace" >/dev/null
  log "created namespace $namespace"
fi

ca internal-ca "BDK internal CA"
for service in xds-server ext-authz book-library; do
  issue internal-ca "$service-tls" "$service.$namespace.svc" serverAuth \
    "DNS:$service.$namespace.svc,DNS:$service.$namespace.svc.cluster.local"
done
# Envoy's: its client identity, and the server certificate of its internal delivery listener.
issue internal-ca envoy-internal-tls envoy clientAuth,serverAuth \
  "URI:spiffe://bdk/envoy/bdk-gateway,DNS:envoy-internal.$namespace.svc,DNS:envoy-internal.$namespace.svc.cluster.local"
# The webhook relay's: server for Envoy, client (its identity) towards Envoy's internal listener.
issue internal-ca webhook-relay-tls "webhook-relay.$namespace.svc" serverAuth,clientAuth \
  "DNS:webhook-relay.$namespace.svc,DNS:webhook-relay.$namespace.svc.cluster.local,URI:spiffe://bdk/webhook-relay"

if ((${#edge_hosts[@]})); then
  ca edge-ca "BDK edge CA (self-signed, development)"
  san=""
  for host in "${edge_hosts[@]}"; do
    if [[ "$host" =~ ^[0-9.]+$ || "$host" == *:* ]]; then san+="${san:+,}IP:$host"; else san+="${san:+,}DNS:$host"; fi
  done
  issue edge-ca bdk-edge-tls "${edge_hosts[0]}" serverAuth "$san"
  log "clients trust $dir/edge-ca.crt (e.g. curl --cacert $dir/edge-ca.crt https://${edge_hosts[0]}/…)"
fi

#!/usr/bin/env bash
# A single-node Kubernetes cluster on this machine, as root, from binaries built by build.sh:
#
#   cluster.sh up       start it (idempotent: prints the status when it already runs)
#   cluster.sh down     stop everything `up` started and remove what it made (safe to run twice)
#   cluster.sh status   what runs where
#   cluster.sh import IMAGE.tar...   import image archives (OCI or Docker) into the node's containerd
#
# What runs (all as host processes, recorded in $RUN/pids, logs in $RUN/logs):
#   etcd, kube-apiserver (Node+RBAC authorization; NodeRestriction, PodSecurity, ResourceQuota …
#   admission; service-account token signer), kube-controller-manager, kube-scheduler, kubelet,
#   containerd (CRI, runc, overlayfs; root and state under $RUN), kube-proxy (iptables mode) and
#   kube-router's network policy controller; CoreDNS runs as a pod (kube-system/coredns).
# The pod network is a Linux bridge ($BRIDGE, $POD_SUBNET) made by Debian's CNI bridge plugin. Every
# listener binds the bridge's address ($NODE_IP), which exists only on this machine. Pods reach
# each other, Service IPs and the API server; everything else a pod sends is dropped
# (mangle-table chains BDK-CLUSTER-FWD / BDK-CLUSTER-IN), and nothing outside reaches a pod.
#
# Environment: BDK_CLUSTER_DIR (default <repo>/.run/cluster: kubeconfig, certificates, etcd, logs),
# BDK_CLUSTER_STATE (default /var/lib/bdk-cluster: containerd's and the kubelet's state), BDK_CLUSTER_CACHE (build.sh),
# NETWORK_POLICY=kube-router|none (default kube-router).
set -Eeuo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
RUN="${BDK_CLUSTER_DIR:-$repo/.run/cluster}"
# containerd's and the kubelet's state live apart from the run directory: both make unix sockets
# inside it (limited to 107 bytes, which a deep checkout would exceed). One cluster per machine.
STATE="${BDK_CLUSTER_STATE:-/var/lib/bdk-cluster}"
NETWORK_POLICY="${NETWORK_POLICY:-kube-router}"

NODE_NAME=bdk-node
BRIDGE=bdk0
POD_SUBNET=10.244.0.0/24
NODE_IP=10.244.0.1
SERVICE_SUBNET=10.96.0.0/24
KUBERNETES_SERVICE_IP=10.96.0.1
DNS_SERVICE_IP=10.96.0.10
API_PORT=6443
CNI_NETWORK=bdk-cluster
CNI_BIN_DIR=/usr/lib/cni
FWD_CHAIN=BDK-CLUSTER-FWD
IN_CHAIN=BDK-CLUSTER-IN
# Which checkout's cluster holds the machine's node network (its run directory).
OWNER_FILE=/run/bdk-cluster.owner
# Kernel settings the kubelet rewrites when they differ (its protectKernelDefaults=false
# behaviour); `up` records them and `down` puts them back.
KUBELET_SYSCTLS=(vm/overcommit_memory vm/panic_on_oom kernel/panic kernel/panic_on_oops
  kernel/keys/root_maxkeys kernel/keys/root_maxbytes)
# Machine-wide directories the kubelet, containerd's shims and CNI create whatever they are told
# (the device-plugin socket, shim sockets, libcni's result cache, links to container logs): `down`
# removes the ones that did not exist before `up`, once empty.
MACHINE_DIRS=(/var/lib/kubelet/device-plugins /var/lib/kubelet /run/containerd/s /run/containerd
  /var/lib/cni/results /var/lib/cni /var/log/containers)
# Start order; `down` stops in reverse.
COMPONENTS=(containerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kube-router)

log() { printf 'cluster: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
trap 'log "error: line $LINENO: $BASH_COMMAND (exit $?)"' ERR

# ------------------------------------------------------------------------------------------------
# Processes

pid_of() { # prints the recorded pid of $1 when that process still runs
  local file="$RUN/pids/$1.pid" pid
  [[ -f "$file" ]] || return 1
  pid="$(cat "$file")"
  [[ -n "$pid" && -d /proc/$pid ]] || return 1
  # The recorded pid must still be our program (its arguments name the run directory), not a
  # recycled id.
  tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$RUN" || return 1
  echo "$pid"
}

start() { # start NAME BINARY ARGS... : in its own session, output to logs/NAME.log
  local name="$1" binary="$2"
  shift 2
  mkdir -p "$RUN/pids" "$RUN/logs"
  setsid "$binary" "$@" >>"$RUN/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/pids/$name.pid"
  readlink -f "$binary" >"$RUN/pids/$name.exe"
  log "started $name (pid $!)"
}

stop() { # stop NAME: SIGTERM, up to 20 s, then SIGKILL
  local name="$1" pid i
  pid="$(pid_of "$name")" || { rm -f "$RUN/pids/$name.pid"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 200; i++)); do
    [[ -d /proc/$pid ]] || break
    sleep 0.1
  done
  if [[ -d /proc/$pid ]]; then
    log "$name (pid $pid) ignored SIGTERM for 20 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    while [[ -d /proc/$pid ]]; do sleep 0.1; done
  fi
  rm -f "$RUN/pids/$name.pid"
  log "stopped $name (pid $pid)"
}

wait_for() { # wait_for DESCRIPTION SECONDS COMMAND... : polls every 0.5 s
  local what="$1" limit="$2"
  local deadline=$((SECONDS + limit))
  shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$what not ready after ${limit}s (logs: $RUN/logs)"
    sleep 0.5
  done
}

# ------------------------------------------------------------------------------------------------
# Setup pieces

ensure_packages() {
  local missing=()
  command -v containerd >/dev/null || missing+=(containerd)
  command -v runc >/dev/null || missing+=(runc)
  [[ -x $CNI_BIN_DIR/bridge && -x $CNI_BIN_DIR/host-local && -x $CNI_BIN_DIR/loopback ]] || missing+=(containernetworking-plugins)
  command -v iptables >/dev/null || missing+=(iptables)
  command -v ipset >/dev/null || missing+=(ipset)
  # kube-proxy clears stale UDP conntrack entries itself (netlink); the tool helps by hand.
  command -v conntrack >/dev/null || missing+=(conntrack)
  command -v etcd >/dev/null || missing+=(etcd-server)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v ip >/dev/null || missing+=(iproute2)
  command -v findmnt >/dev/null || missing+=(util-linux)
  command -v curl >/dev/null || missing+=(curl)
  ((${#missing[@]} == 0)) && return 0
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them"
  log "installing Debian packages: ${missing[*]}"
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

check_machine() {
  [[ "$(id -u)" == 0 ]] || die "run as root (it starts a kubelet and containerd, makes a bridge and iptables rules)"
  [[ "$(uname -s)" == Linux ]] || die "Linux only"
  if ip link show "$BRIDGE" >/dev/null 2>&1; then
    local owner
    owner="$(cat "$OWNER_FILE" 2>/dev/null || true)"
    if [[ -n "$owner" && "$owner" != "$RUN" ]] && RUN="$owner" pid_of kube-apiserver >/dev/null; then
      die "the node network ($BRIDGE) is in use by the cluster of $owner (its 'make cluster-down' frees it)"
    fi
    # A cluster whose API server is gone (its session was killed, its checkout deleted): remove
    # what it left, as its own cluster-down would, then start ours.
    log "the node network ($BRIDGE) was left by a cluster that no longer runs (${owner:-unknown owner}); cleaning up"
    if [[ -n "$owner" && "$owner" != "$RUN" ]]; then
      BDK_CLUSTER_DIR="$owner" "${BASH_SOURCE[0]}" down
    fi
    if ip link show "$BRIDGE" >/dev/null 2>&1; then
      ip link del "$BRIDGE"
      remove_iptables
    fi
  fi
  if ip -4 route show | grep -v "dev $BRIDGE" | grep -qE "^(10\.244\.|10\.96\.)"; then
    die "$POD_SUBNET or $SERVICE_SUBNET is already routed on this machine: $(ip -4 route | grep -E '^(10\.244\.|10\.96\.)')"
  fi
}

# issue NAME CN ORG [SAN]: an ECDSA key and a certificate signed by the run's CA.
issue() {
  local name="$1" cn="$2" org="$3" san="${4:-}" pki="$RUN/pki"
  openssl ecparam -name prime256v1 -genkey -noout -out "$pki/$name.key" 2>/dev/null
  openssl req -new -key "$pki/$name.key" -subj "/CN=$cn${org:+/O=$org}" -out "$pki/$name.csr" 2>/dev/null
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [[ -n "$san" ]]; then
      echo "extendedKeyUsage=serverAuth,clientAuth"
      echo "subjectAltName=$san"
    else
      echo "extendedKeyUsage=clientAuth"
    fi
  } >"$pki/$name.ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 30 -sha256 -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$pki/$name.ext"
}

make_pki() {
  local pki="$RUN/pki"
  mkdir -p "$pki" && chmod 0700 "$pki"
  openssl ecparam -name prime256v1 -genkey -noout -out "$pki/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=bdk-cluster-ca" -days 30 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$pki/ca.crt" 2>/dev/null
  issue kube-apiserver kube-apiserver "" \
    "IP:$NODE_IP,IP:$KUBERNETES_SERVICE_IP,IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost"
  issue kubelet-serving "system:node:$NODE_NAME" system:nodes "IP:$NODE_IP,DNS:$NODE_NAME"
  issue apiserver-kubelet-client kube-apiserver-kubelet-client ""
  issue admin bdk-cluster-admin system:masters
  issue kube-controller-manager system:kube-controller-manager ""
  issue kube-scheduler system:kube-scheduler ""
  issue kubelet "system:node:$NODE_NAME" system:nodes
  issue kube-proxy system:kube-proxy ""
  issue kube-router bdk:kube-router ""
  # The service-account token signer.
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$pki/sa.key" 2>/dev/null
  openssl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  rm -f "$pki/ca.srl"
}

kubeconfig() { # kubeconfig NAME CERT : a kubeconfig with the certificate embedded
  local file="$RUN/$1.kubeconfig" pki="$RUN/pki"
  [[ "$1" == admin ]] && file="$RUN/kubeconfig"
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: bdk-cluster
  cluster:
    server: https://$NODE_IP:$API_PORT
    certificate-authority-data: $(base64 -w0 "$pki/ca.crt")
users:
- name: $1
  user:
    client-certificate-data: $(base64 -w0 "$pki/$2.crt")
    client-key-data: $(base64 -w0 "$pki/$2.key")
contexts:
- name: bdk-cluster
  context: {cluster: bdk-cluster, user: $1}
current-context: bdk-cluster
EOF
  chmod 0600 "$file"
}

record_machine_dirs() {
  local d
  : >"$RUN/machine-dirs.made"
  local cgroups=(/sys/fs/cgroup/k8s.io) hierarchy
  # containerd puts the containers' cgroups under k8s.io (its CRI namespace) in each hierarchy.
  for hierarchy in /sys/fs/cgroup/*/; do cgroups+=("${hierarchy}k8s.io"); done
  for d in "${MACHINE_DIRS[@]}" "${cgroups[@]}"; do
    [[ -e "$d" ]] || echo "$d" >>"$RUN/machine-dirs.made"
  done
}

remove_machine_dirs() {
  [[ -f "$RUN/machine-dirs.made" ]] || return 0
  rm -f /var/lib/kubelet/device-plugins/kubelet.sock
  local d
  while read -r d; do
    [[ -n "$d" && -d "$d" ]] && rmdir "$d" 2>/dev/null && log "removed $d"
  done <"$RUN/machine-dirs.made"
  return 0
}

record_sysctls() {
  local s out="$RUN/sysctls.before"
  : >"$out"
  for s in "${KUBELET_SYSCTLS[@]}" net/bridge/bridge-nf-call-iptables; do
    [[ -r /proc/sys/$s ]] && echo "$s=$(cat "/proc/sys/$s")" >>"$out"
  done
}

make_network() {
  # The bridge exists before the first pod so that every listener can bind its address.
  ip link add "$BRIDGE" type bridge
  echo "$BRIDGE" >"$RUN/bridge"
  echo "$RUN" >"$OWNER_FILE"
  ip addr add "$NODE_IP/${POD_SUBNET#*/}" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # Forwarding only for packets that arrive on the bridge (pod -> Service -> pod); the machine's
  # global ip_forward is left as it is.
  sysctl -qw "net.ipv4.conf.$BRIDGE.forwarding=1"
  # Bridged pod-to-pod traffic must pass iptables (Service DNAT, network policies).
  [[ -w /proc/sys/net/bridge/bridge-nf-call-iptables ]] || die "br_netfilter is not available in this kernel"
  sysctl -qw net.bridge.bridge-nf-call-iptables=1
  # Service IPs are routed into the bridge, never to the default route.
  ip route add "$SERVICE_SUBNET" dev "$BRIDGE" src "$NODE_IP"

  # Pod traffic stays on this machine: forwarded packets must enter and leave through the bridge;
  # pods reach the host only on the API server port and DNS (plus replies).
  iptables -w -t mangle -N "$FWD_CHAIN"
  iptables -w -t mangle -A "$FWD_CHAIN" -i "$BRIDGE" -o "$BRIDGE" -j RETURN
  iptables -w -t mangle -A "$FWD_CHAIN" -i "$BRIDGE" -j DROP
  iptables -w -t mangle -A "$FWD_CHAIN" -o "$BRIDGE" -j DROP
  iptables -w -t mangle -I FORWARD 1 -m comment --comment "bdk-cluster: pod traffic stays on this machine" -j "$FWD_CHAIN"
  iptables -w -t mangle -N "$IN_CHAIN"
  iptables -w -t mangle -A "$IN_CHAIN" -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN
  iptables -w -t mangle -A "$IN_CHAIN" -p tcp --dport "$API_PORT" -d "$NODE_IP" -j RETURN
  iptables -w -t mangle -A "$IN_CHAIN" -j DROP
  iptables -w -t mangle -I INPUT 1 -i "$BRIDGE" -m comment --comment "bdk-cluster: pods reach only the API server on the host" -j "$IN_CHAIN"

  mkdir -p "$RUN/cni/net.d" "$RUN/cni/ipam"
  cat >"$RUN/cni/net.d/10-$CNI_NETWORK.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$CNI_NETWORK",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$RUN/cni/ipam",
        "ranges": [[{"subnet": "$POD_SUBNET", "gateway": "$NODE_IP"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    }
  ]
}
EOF
}

start_containerd() {
  local c="$STATE/containerd"
  mkdir -p "$c/root" "$c/state" "$c/runc" "$c/opt"
  cat >"$RUN/containerd.toml" <<EOF
version = 2
root = "$c/root"
state = "$c/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "$c/containerd.sock"
[ttrpc]
  address = "$c/containerd.ttrpc.sock"
[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$c/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "bdk.local/pause:1"
  # runc cannot lower the OOM score adjustment below containerd's own here.
  restrict_oom_score_adj = true
  # Pod network namespaces live under the run directory, not in /var/run/netns.
  netns_mounts_under_state_dir = true
  # Non-root containers may bind ports below 1024 in their own network namespace (CoreDNS on 53).
  enable_unprivileged_ports = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN_DIR"
    conf_dir = "$RUN/cni/net.d"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        Root = "$c/runc"
        SystemdCgroup = false
EOF
  # This machine pulls from no registry, and the node must not try: every pull goes to a proxy
  # address on loopback where nothing listens, so an image that was not imported fails at once
  # (ErrImagePull, "proxyconnect … connection refused") without a packet leaving the machine.
  start containerd env HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY= \
    "$(command -v containerd)" --config "$RUN/containerd.toml"
  wait_for containerd 30 ctr_ version
  ctr_ -n k8s.io images import "$PAUSE_IMAGE_TAR" >/dev/null
  ctr_ -n k8s.io images import "$HELLO_IMAGE_TAR" >/dev/null
  ctr_ -n k8s.io images import "$COREDNS_IMAGE_TAR" >/dev/null
  ctr_ -n k8s.io images label bdk.local/pause:1 io.cri-containerd.pinned=pinned >/dev/null
}

ctr_() { ctr --address "$STATE/containerd/containerd.sock" "$@"; }
kubectl_() { "$KUBECTL" --kubeconfig "$RUN/kubeconfig" "$@"; }

api_ready() { kubectl_ get --raw /readyz; }

start_control_plane() {
  local pki="$RUN/pki"
  mkdir -p "$RUN/etcd"
  start etcd "$ETCD" --name default --data-dir "$RUN/etcd" \
    --listen-client-urls "http://$NODE_IP:2379" --advertise-client-urls "http://$NODE_IP:2379" \
    --listen-peer-urls "http://$NODE_IP:2380" --initial-advertise-peer-urls "http://$NODE_IP:2380" \
    --initial-cluster "default=http://$NODE_IP:2380" --listen-metrics-urls "http://$NODE_IP:2381" \
    --quota-backend-bytes 2147483648 --log-level warn
  wait_for etcd 30 curl -fsS "http://$NODE_IP:2381/health"

  start kube-apiserver "$KUBE_APISERVER" \
    --advertise-address "$NODE_IP" --bind-address "$NODE_IP" --secure-port "$API_PORT" \
    --etcd-servers "http://$NODE_IP:2379" \
    --service-cluster-ip-range "$SERVICE_SUBNET" \
    --authorization-mode Node,RBAC \
    --enable-admission-plugins NodeRestriction \
    --anonymous-auth=false --profiling=false \
    --client-ca-file "$pki/ca.crt" \
    --tls-cert-file "$pki/kube-apiserver.crt" --tls-private-key-file "$pki/kube-apiserver.key" \
    --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$pki/ca.crt" --kubelet-preferred-address-types InternalIP \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --api-audiences https://kubernetes.default.svc.cluster.local
  wait_for kube-apiserver 90 api_ready

  # What the components' identities may do (the built-in roles cover the controller manager,
  # scheduler, node and kube-proxy).
  kubectl_ apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "bdk:apiserver-kubelet-client"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:kubelet-api-admin"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: kube-apiserver-kubelet-client}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "bdk:coredns"}
rules:
- {apiGroups: [""], resources: [endpoints, services, pods, namespaces], verbs: [list, watch]}
- {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "bdk:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "bdk:coredns"}
subjects: [{kind: ServiceAccount, name: coredns, namespace: kube-system}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "bdk:kube-router"}
rules:
- {apiGroups: [""], resources: [namespaces, pods, services, nodes, endpoints], verbs: [get, list, watch]}
- {apiGroups: [networking.k8s.io], resources: [networkpolicies], verbs: [get, list, watch]}
- {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [events], verbs: [create, patch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "bdk:kube-router"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "bdk:kube-router"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "bdk:kube-router"}]
EOF

  start kube-controller-manager "$KUBE_CONTROLLER_MANAGER" \
    --kubeconfig "$RUN/kube-controller-manager.kubeconfig" \
    --authentication-kubeconfig "$RUN/kube-controller-manager.kubeconfig" \
    --authorization-kubeconfig "$RUN/kube-controller-manager.kubeconfig" \
    --bind-address "$NODE_IP" --secure-port 10257 --leader-elect=false \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --use-service-account-credentials=true \
    --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
    --service-cluster-ip-range "$SERVICE_SUBNET" \
    --allocate-node-cidrs=true --cluster-cidr "$POD_SUBNET" --node-cidr-mask-size "${POD_SUBNET#*/}"
  start kube-scheduler "$KUBE_SCHEDULER" \
    --kubeconfig "$RUN/kube-scheduler.kubeconfig" \
    --authentication-kubeconfig "$RUN/kube-scheduler.kubeconfig" \
    --authorization-kubeconfig "$RUN/kube-scheduler.kubeconfig" \
    --bind-address "$NODE_IP" --secure-port 10259 --leader-elect=false
}

start_node() {
  local pki="$RUN/pki" k="$STATE/kubelet"
  mkdir -p "$k/root" "$RUN/pod-logs"
  # Pods resolve cluster names only: the node has no upstream resolver to hand them.
  : >"$RUN/resolv.conf"
  cat >"$RUN/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: $NODE_IP
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $pki/kubelet-serving.crt
tlsPrivateKeyFile: $pki/kubelet-serving.key
containerRuntimeEndpoint: unix://$STATE/containerd/containerd.sock
podLogsDir: $RUN/pod-logs
clusterDomain: cluster.local
clusterDNS: [$DNS_SERVICE_IP]
resolvConf: $RUN/resolv.conf
# This machine: cgroup v1 (hybrid), no swap accounting, no systemd; containers share the host's
# cgroups rather than per-QoS ones.
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
cgroupsPerQOS: false
enforceNodeAllocatable: []
# A shared development machine: evict only when really short.
evictionHard: {memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2%}
imageGCHighThresholdPercent: 95
imageGCLowThresholdPercent: 90
serializeImagePulls: false
rotateCertificates: false
maxPods: 110
EOF
  start kubelet "$KUBELET" --config "$RUN/kubelet.yaml" --kubeconfig "$RUN/kubelet.kubeconfig" \
    --root-dir "$k/root" --cert-dir "$k/pki" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" \
    --v 1

  cat >"$RUN/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $RUN/kube-proxy.kubeconfig}
mode: iptables
clusterCIDR: $POD_SUBNET
hostnameOverride: $NODE_NAME
bindAddress: $NODE_IP
healthzBindAddress: $NODE_IP:10256
metricsBindAddress: $NODE_IP:10249
nodePortAddresses: [$NODE_IP/32]
iptables: {localhostNodePorts: false, masqueradeAll: false}
# Leave the machine's conntrack settings alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
  start kube-proxy "$KUBE_PROXY" --config "$RUN/kube-proxy.yaml"
}

start_network_policy() {
  # kube-router reads its node's address from the Node object: the kubelet registers it first.
  if [[ "$NETWORK_POLICY" == kube-router ]]; then
    start kube-router "$KUBE_ROUTER" --kubeconfig "$RUN/kube-router.kubeconfig" \
      --hostname-override "$NODE_NAME" \
      --run-firewall=true --run-router=false --run-service-proxy=false \
      --service-cluster-ip-range "$SERVICE_SUBNET" \
      --health-port 0 --metrics-port 0 --v 1
  fi
}

node_ready() {
  [[ "$(kubectl_ get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" == True ]]
}

# Cluster DNS runs as a pod (kube-system/coredns, k8s-app=kube-dns, behind Service kube-dns) as
# on any cluster, so that NetworkPolicies allowing "the cluster DNS pods" (the book-controller's
# --dns-namespace/--dns-pod-label) select it.
start_dns() {
  kubectl_ apply -f - >/dev/null <<EOF
apiVersion: v1
kind: ServiceAccount
metadata: {name: coredns, namespace: kube-system}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data:
  Corefile: |
    cluster.local:53 in-addr.arpa:53 ip6.arpa:53 {
        errors
        health :8080
        ready :8181
        kubernetes cluster.local in-addr.arpa ip6.arpa {
            pods insecure
            fallthrough in-addr.arpa ip6.arpa
        }
        cache 30
    }
    .:53 {
        errors
    }
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  replicas: 1
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      serviceAccountName: coredns
      dnsPolicy: Default
      priorityClassName: system-cluster-critical
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: coredns
        image: $COREDNS_IMAGE
        imagePullPolicy: Never
        args: [-conf, /etc/coredns/Corefile]
        ports:
        - {name: dns, containerPort: 53, protocol: UDP}
        - {name: dns-tcp, containerPort: 53, protocol: TCP}
        readinessProbe: {httpGet: {path: /ready, port: 8181}, periodSeconds: 2}
        livenessProbe: {httpGet: {path: /health, port: 8080}, periodSeconds: 10}
        resources:
          requests: {cpu: 50m, memory: 64Mi}
          limits: {memory: 170Mi}
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL]}
        volumeMounts: [{name: config, mountPath: /etc/coredns, readOnly: true}]
      volumes: [{name: config, configMap: {name: coredns}}]
---
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  clusterIP: $DNS_SERVICE_IP
  selector: {k8s-app: kube-dns}
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: 53}
  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
EOF
}

dns_ready() {
  [[ "$(kubectl_ -n kube-system get deployment coredns -o jsonpath='{.status.readyReplicas}')" == 1 ]]
}

status() {
  [[ -z "${KUBECTL:-}" && -f "$RUN/pids/kube-apiserver.exe" ]] && KUBECTL="$(dirname "$(cat "$RUN/pids/kube-apiserver.exe")")/kubectl"
  if ! pid_of kube-apiserver >/dev/null && ! pid_of containerd >/dev/null; then
    echo "no cluster runs from $RUN"
    return 0
  fi
  echo "cluster of $RUN (node $NODE_NAME, node IP $NODE_IP on bridge $BRIDGE)"
  printf '  %-24s %-8s %s\n' COMPONENT PID WHERE
  local name pid where
  for name in "${COMPONENTS[@]}"; do
    case $name in
      containerd) where="unix://$STATE/containerd/containerd.sock" ;;
      etcd) where="http://$NODE_IP:2379" ;;
      kube-apiserver) where="https://$NODE_IP:$API_PORT" ;;
      kube-controller-manager) where="https://$NODE_IP:10257" ;;
      kube-scheduler) where="https://$NODE_IP:10259" ;;
      kubelet) where="https://$NODE_IP:10250" ;;
      kube-proxy) where="iptables (Services $SERVICE_SUBNET), healthz http://$NODE_IP:10256" ;;
      kube-router) where="network policies (iptables + ipset)" ;;
    esac
    pid="$(pid_of "$name" || echo -)"
    [[ "$name" == kube-router && "$pid" == - && "$NETWORK_POLICY" != kube-router ]] && where="not started (NETWORK_POLICY=$NETWORK_POLICY)"
    printf '  %-24s %-8s %s\n' "$name" "$pid" "$where"
  done
  echo "  cluster DNS: pod kube-system/coredns behind Service kube-dns $DNS_SERVICE_IP (cluster.local)"
  echo "  pods: $POD_SUBNET on $BRIDGE; Services: $SERVICE_SUBNET; logs: $RUN/logs"
  echo "  kubeconfig: $RUN/kubeconfig   (kubectl: $KUBECTL)"
}

load_binaries() {
  local env
  env="$("$here/build.sh")" || die "build.sh failed"
  eval "$env"
}

up() {
  mkdir -p "$RUN"
  if pid_of kube-apiserver >/dev/null; then
    load_binaries
    status
    return 0
  fi
  if [[ -f "$RUN/pids/containerd.pid" || -f "$RUN/bridge" ]]; then
    log "a previous cluster of $RUN was not stopped cleanly; stopping it first"
    down
  fi
  local started=$SECONDS
  [[ "$(id -u)" == 0 ]] || die "run as root (it starts a kubelet and containerd, makes a bridge and iptables rules)"
  ensure_packages
  load_binaries
  check_machine
  rm -rf "$RUN" && mkdir -p "$RUN/logs"
  unmount_under "$STATE"
  rm -rf "$STATE" && mkdir -p "$STATE"
  # From here on, a failure leaves a recorded state that `down` removes.
  trap 'log "error: line $LINENO: $BASH_COMMAND (exit $?); see $RUN/logs, then run: make cluster-down"' ERR
  record_sysctls
  record_machine_dirs
  make_pki
  local name
  for name in admin kube-controller-manager kube-scheduler kubelet kube-proxy kube-router; do
    kubeconfig "$name" "$name"
  done
  make_network
  start_containerd
  start_control_plane
  start_node
  wait_for "node $NODE_NAME" 120 node_ready
  start_network_policy
  start_dns
  wait_for "cluster DNS (pod kube-system/coredns)" 120 dns_ready
  # The default ServiceAccount appears when the controller manager has caught up; pods need it.
  wait_for "default service account" 60 kubectl_ get serviceaccount default -n default
  if [[ "$NETWORK_POLICY" == kube-router ]]; then
    wait_for "kube-router's policy chains" 60 iptables -w -S KUBE-ROUTER-FORWARD
  fi
  trap 'log "error: line $LINENO: $BASH_COMMAND (exit $?)"' ERR
  log "cluster up in $((SECONDS - started))s"
  status
}

# ------------------------------------------------------------------------------------------------
# Teardown

remove_pods() {
  # With the controllers stopped nothing recreates pods; the kubelet stops each pod's containers
  # and tears down its sandbox (CNI DEL releases the address, the netns goes).
  pid_of kube-apiserver >/dev/null && pid_of kubelet >/dev/null || return 0
  [[ -n "${KUBECTL:-}" ]] || return 0
  kubectl_ delete pods --all --all-namespaces --force --grace-period=0 --wait=false >/dev/null 2>&1 || true
  local deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    [[ -z "$(ctr_ -n k8s.io tasks ls -q 2>/dev/null)" ]] && return 0
    sleep 0.5
  done
  log "pods still running after 60 s; killing their tasks"
}

kill_tasks() {
  pid_of containerd >/dev/null || return 0
  local task
  for task in $(ctr_ -n k8s.io tasks ls -q 2>/dev/null); do
    ctr_ -n k8s.io tasks kill -a -s SIGKILL "$task" >/dev/null 2>&1 || true
  done
  sleep 1
  for task in $(ctr_ -n k8s.io tasks ls -q 2>/dev/null); do
    ctr_ -n k8s.io tasks delete -f "$task" >/dev/null 2>&1 || true
  done
}

stop_shims() {
  # containerd's shims outlive it by design; ours are the ones started with our socket. A shim
  # killed here cannot remove its socket (/run/containerd/s/<sha256 of address/namespace/id>) nor
  # its sandbox's loopback result in libcni's cache: remove those too.
  local address="$STATE/containerd/containerd.sock" pid id
  for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $address" || true); do
    id="$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | sed -n '/^-id$/{n;p}')"
    kill -KILL "$pid" 2>/dev/null || true
    if [[ -n "$id" ]]; then
      rm -f "/run/containerd/s/$(printf '%s' "$address/k8s.io/$id" | sha256sum | cut -d' ' -f1)"
      rm -f "/var/lib/cni/results/cni-loopback-$id-lo"
    fi
    log "stopped containerd shim (pid $pid)"
  done
}

kill_orphan_containers() {
  # Containers whose shim is gone (a killed session) keep running; runc knows them from its state
  # under our run directory. `delete --force` kills them and removes their cgroups.
  local root="$STATE/containerd/runc/k8s.io" id
  [[ -d "$root" ]] || return 0
  for id in $(runc --root "$root" list -q 2>/dev/null || true); do
    runc --root "$root" delete --force "$id" >/dev/null 2>&1 && log "removed orphaned container ${id:0:12}" || true
  done
}

unmount_under() { # unmount_under DIR...: every mount below these directories, deepest first
  local target
  while read -r target; do
    # Lazily if a mount is still busy.
    umount "$target" 2>/dev/null || umount -l "$target" 2>/dev/null || log "cannot unmount $target"
  done < <(findmnt -rn -o TARGET | awk -v dirs="$*" '
      BEGIN { n = split(dirs, d, " ") }
      { for (i = 1; i <= n; i++) if (index($0, d[i] "/") == 1) { print; next } }' | sort -r)
}

delete_chain() { # delete_chain TABLE CHAIN: the rules that jump to it, then the chain
  local table="$1" chain="$2" rule
  iptables -w -t "$table" -S "$chain" >/dev/null 2>&1 || return 0
  while read -r rule; do
    # shellcheck disable=SC2086
    eval "iptables -w -t $table ${rule/#-A /-D }" 2>/dev/null || true
  done < <(iptables -w -t "$table" -S | grep -E -- "-j $chain( |\$)" || true)
  iptables -w -t "$table" -F "$chain" 2>/dev/null || true
  iptables -w -t "$table" -X "$chain" 2>/dev/null || true
}

remove_iptables() {
  local table chain
  # kube-proxy removes its own rules.
  [[ -n "${KUBE_PROXY:-}" && -x "${KUBE_PROXY:-}" ]] && "$KUBE_PROXY" --cleanup >/dev/null 2>&1 || true
  # kube-router's --cleanup-config leaves its policy chains (v2.1.0): remove them by their names
  # (KUBE-ROUTER-*, KUBE-NWPLCY-*, KUBE-POD-FW-*), jumps first, then its ipsets.
  local chains rule
  chains="$(iptables -w -t filter -S | sed -n 's/^-N \(KUBE-ROUTER-[A-Z]*\|KUBE-NWPLCY-[A-Z0-9]*\|KUBE-POD-FW-[A-Z0-9]*\)$/\1/p')"
  if [[ -n "$chains" ]]; then
    # Jumps from the built-in chains (INPUT, FORWARD, OUTPUT); then all of theirs, flushed first
    # because they jump to one another.
    while read -r rule; do
      eval "iptables -w -t filter ${rule/#-A /-D }" 2>/dev/null || true
    done < <(iptables -w -t filter -S | grep -E '^-A (INPUT|FORWARD|OUTPUT) .*-j (KUBE-ROUTER-|KUBE-NWPLCY-|KUBE-POD-FW-)' || true)
    for chain in $chains; do iptables -w -t filter -F "$chain" 2>/dev/null || true; done
    for chain in $chains; do iptables -w -t filter -X "$chain" 2>/dev/null || log "cannot delete chain $chain"; done
  fi
  local set
  for set in $(ipset list -n 2>/dev/null | grep -E '^(KUBE-SRC-|KUBE-DST-|kube-router-)' || true); do
    ipset destroy "$set" 2>/dev/null || log "cannot destroy ipset $set"
  done
  delete_chain mangle "$FWD_CHAIN"
  delete_chain mangle "$IN_CHAIN"
  # The kubelet's: its marker chains and KUBE-FIREWALL (drops non-loopback packets to 127/8).
  for table in mangle filter nat; do
    for chain in KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT; do
      delete_chain "$table" "$chain"
    done
  done
}

restore_sysctls() {
  [[ -f "$RUN/sysctls.before" ]] || return 0
  local line key value
  while IFS='=' read -r key value; do
    [[ -n "$key" && -w /proc/sys/$key ]] || continue
    if [[ "$(cat "/proc/sys/$key")" != "$value" ]]; then
      echo "$value" >"/proc/sys/$key" && log "restored $key=$value"
    fi
  done <"$RUN/sysctls.before"
}

down() {
  [[ "$(id -u)" == 0 ]] || die "run as root"
  local owned_network=false
  [[ -f "$RUN/bridge" || "$(cat "$OWNER_FILE" 2>/dev/null)" == "$RUN" ]] && owned_network=true
  if [[ ! -d "$RUN" && "$owned_network" == false ]]; then
    log "nothing to stop: no $RUN"
    return 0
  fi
  # Binaries for the cleanups (no build when the cache is gone: then there is nothing of theirs).
  if [[ -f "$RUN/pids/kube-apiserver.exe" ]]; then
    local dir
    dir="$(dirname "$(cat "$RUN/pids/kube-apiserver.exe")")"
    KUBECTL="$dir/kubectl"
  fi
  [[ -f "$RUN/pids/kube-proxy.exe" ]] && KUBE_PROXY="$(cat "$RUN/pids/kube-proxy.exe")"
  [[ -f "$RUN/pids/kube-router.exe" ]] && KUBE_ROUTER="$(cat "$RUN/pids/kube-router.exe")"

  stop kube-controller-manager
  stop kube-scheduler
  remove_pods
  local name i
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
    name="${COMPONENTS[$i]}"
    [[ "$name" == containerd ]] && kill_tasks
    stop "$name"
  done
  # The node's state directory (and the shims and containers it records) is machine-wide: only
  # the cluster that owns the node network touches it.
  if [[ "$owned_network" == true ]]; then
    stop_shims
    kill_orphan_containers
    unmount_under "$RUN" "$STATE"
    rm -rf "$STATE"
  else
    unmount_under "$RUN"
  fi
  # The node network is machine-wide: only its owner removes it (and its rules).
  if [[ "$owned_network" == true ]]; then
    remove_iptables
    if ip link show "$BRIDGE" >/dev/null 2>&1; then
      ip link del "$BRIDGE" 2>/dev/null && log "removed bridge $BRIDGE" || true
    fi
  fi
  [[ "$(cat "$OWNER_FILE" 2>/dev/null)" == "$RUN" ]] && rm -f "$OWNER_FILE"
  # libcni's cache of our network's results (the rest of CNI's state lives under $RUN).
  rm -f /var/lib/cni/results/"$CNI_NETWORK"-* 2>/dev/null || true
  # The kubelet's links to our pods' logs.
  find /var/log/containers -maxdepth 1 -type l -lname "$RUN/*" -delete 2>/dev/null || true
  remove_machine_dirs
  restore_sysctls
  # Keep the logs of the last run; remove all other state.
  [[ -d "$RUN" ]] || { log "cluster down"; return 0; }
  local keep
  keep="$(mktemp -d)"
  [[ -d "$RUN/logs" ]] && mv "$RUN/logs" "$keep/"
  rm -rf "$RUN"
  mkdir -p "$RUN"
  [[ -d "$keep/logs" ]] && mv "$keep/logs" "$RUN/logs"
  rmdir "$keep"
  log "cluster down (logs of the last run: $RUN/logs)"
}

# Imports image archives into the node's containerd, where the kubelet finds them. A name without
# a registry (voyager/bdk-xds-server:0.1.0, as Jib and podman write it) is also tagged as the
# kubelet asks for it (docker.io/voyager/bdk-xds-server:0.1.0), and by its manifest digest
# (docker.io/voyager/bdk-xds-server@sha256:…): the kubelet looks a pinned reference up by that
# name (k8s/overlays/digests, which make images writes), and without it would try to pull.
import_images() {
  pid_of containerd >/dev/null || die "no cluster runs from $RUN (make cluster)"
  local archive name full digest
  for archive in "$@"; do
    [[ -f "$archive" ]] || die "no image archive $archive"
    while read -r name; do
      full="$name"
      if [[ "${name%%/*}" != *.* && "${name%%/*}" != *:* && "${name%%/*}" != localhost ]]; then
        [[ "$name" == */* ]] && full="docker.io/$name" || full="docker.io/library/$name"
      fi
      if [[ "$full" != "$name" ]]; then
        ctr_ -n k8s.io images tag --force "$name" "$full" >/dev/null
      fi
      digest="$(ctr_ -n k8s.io images ls "name==$full" | awk 'NR == 2 {print $3}')"
      if [[ "$digest" == sha256:* && "$full" != *@* && "${full##*/}" == *:* ]]; then
        ctr_ -n k8s.io images tag --force "$full" "${full%:*}@$digest" >/dev/null
      fi
      log "imported $full ($digest) from $archive"
    done < <(ctr_ -n k8s.io images import "$archive" | sed -n 's/^unpacking \([^ ]*\) (.*/\1/p')
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  import) shift; import_images "$@" ;;
  *) echo "usage: $0 up|down|status|import IMAGE.tar..." >&2; exit 2 ;;
esac

package io.voyager.bdk.local;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The semantics of {@code networking.k8s.io/v1} NetworkPolicies, evaluated on paper: which flows
 * between pods (namespace, labels, named container ports, IP) and outside addresses the policies
 * allow. A flow needs both the source's egress and the destination's ingress: a pod selected by no
 * policy of a direction (for its namespace) is not isolated in that direction; an isolated pod
 * allows what any rule of a policy selecting it allows. Peers: podSelector (the policy's namespace
 * unless a namespaceSelector is given), namespaceSelector, ipBlock (by the endpoint's address);
 * ports by number, range (endPort) or name (resolved on the destination pod); protocol TCP by
 * default. IPv4 only.
 */
final class NetworkPolicyModel {
  /** A namespace and its labels (the API server adds kubernetes.io/metadata.name). */
  record Namespace(String name, Map<String, String> labels) {}

  /** One container port: name (may be null), number and protocol. */
  record Port(String name, int number, String protocol) {}

  /** Where traffic comes from or goes to. */
  sealed interface Endpoint {
    String ip();
  }

  record Pod(String description, Namespace namespace, Map<String, String> labels, List<Port> ports, String ip) implements Endpoint {
    @Override
    public String toString() {
      return description;
    }
  }

  record External(String description, String ip) implements Endpoint {
    @Override
    public String toString() {
      return description;
    }
  }

  private final List<NetworkPolicy> policies;
  private final Map<String, Namespace> namespaces;

  NetworkPolicyModel(List<NetworkPolicy> policies, List<Namespace> namespaces) {
    this.policies = List.copyOf(policies);
    this.namespaces = namespaces.stream().collect(Collectors.toMap(Namespace::name, n -> n));
  }

  /** Whether {@code from} may open a connection to {@code to} on {@code port}/{@code protocol}. */
  boolean allows(Endpoint from, Endpoint to, int port, String protocol) {
    return egressAllows(from, to, port, protocol) && ingressAllows(from, to, port, protocol);
  }

  private boolean egressAllows(Endpoint from, Endpoint to, int port, String protocol) {
    if (!(from instanceof Pod source)) {
      return true;
    }
    List<NetworkPolicy> isolating = selecting(source, "Egress");
    if (isolating.isEmpty()) {
      return true;
    }
    for (NetworkPolicy policy : isolating) {
      for (var rule : nullToEmpty(policy.getSpec().getEgress())) {
        if (peersMatch(rule.getTo(), to, policy) && portsMatch(rule.getPorts(), to, port, protocol)) {
          return true;
        }
      }
    }
    return false;
  }

  private boolean ingressAllows(Endpoint from, Endpoint to, int port, String protocol) {
    if (!(to instanceof Pod destination)) {
      return true;
    }
    List<NetworkPolicy> isolating = selecting(destination, "Ingress");
    if (isolating.isEmpty()) {
      return true;
    }
    for (NetworkPolicy policy : isolating) {
      for (var rule : nullToEmpty(policy.getSpec().getIngress())) {
        if (peersMatch(rule.getFrom(), from, policy) && portsMatch(rule.getPorts(), to, port, protocol)) {
          return true;
        }
      }
    }
    return false;
  }

  /** The policies of the pod's namespace that select it for {@code direction}. */
  List<NetworkPolicy> selecting(Pod pod, String direction) {
    return policies.stream()
        .filter(p -> pod.namespace().name().equals(p.getMetadata().getNamespace()))
        .filter(p -> matches(p.getSpec().getPodSelector(), pod.labels()))
        .filter(p -> policyTypes(p).contains(direction))
        .toList();
  }

  private static List<String> policyTypes(NetworkPolicy p) {
    if (p.getSpec().getPolicyTypes() != null && !p.getSpec().getPolicyTypes().isEmpty()) {
      return p.getSpec().getPolicyTypes();
    }
    return p.getSpec().getEgress() != null && !p.getSpec().getEgress().isEmpty()
        ? List.of("Ingress", "Egress") : List.of("Ingress");
  }

  private boolean peersMatch(List<NetworkPolicyPeer> peers, Endpoint endpoint, NetworkPolicy policy) {
    if (peers == null || peers.isEmpty()) {
      return true;
    }
    return peers.stream().anyMatch(peer -> peerMatches(peer, endpoint, policy));
  }

  private boolean peerMatches(NetworkPolicyPeer peer, Endpoint endpoint, NetworkPolicy policy) {
    if (peer.getIpBlock() != null) {
      return inBlock(endpoint.ip(), peer.getIpBlock());
    }
    if (!(endpoint instanceof Pod pod)) {
      return false;
    }
    boolean namespaceOk = peer.getNamespaceSelector() == null
        ? pod.namespace().name().equals(policy.getMetadata().getNamespace())
        : matches(peer.getNamespaceSelector(), namespaces.get(pod.namespace().name()).labels());
    boolean podOk = peer.getPodSelector() == null || matches(peer.getPodSelector(), pod.labels());
    return namespaceOk && podOk;
  }

  private static boolean portsMatch(List<NetworkPolicyPort> ports, Endpoint destination, int port, String protocol) {
    if (ports == null || ports.isEmpty()) {
      return true;
    }
    for (NetworkPolicyPort p : ports) {
      String proto = p.getProtocol() == null ? "TCP" : p.getProtocol();
      if (!proto.equals(protocol)) {
        continue;
      }
      IntOrString value = p.getPort();
      if (value == null) {
        return true;
      }
      if (value.getIntVal() != null) {
        int end = p.getEndPort() == null ? value.getIntVal() : p.getEndPort();
        if (port >= value.getIntVal() && port <= end) {
          return true;
        }
      } else if (destination instanceof Pod pod && pod.ports().stream()
          .anyMatch(c -> value.getStrVal().equals(c.name()) && c.number() == port && c.protocol().equals(protocol))) {
        return true;
      }
    }
    return false;
  }

  static boolean matches(LabelSelector selector, Map<String, String> labels) {
    if (selector == null) {
      return true;
    }
    if (selector.getMatchLabels() != null) {
      for (var e : selector.getMatchLabels().entrySet()) {
        if (!Objects.equals(labels.get(e.getKey()), e.getValue())) {
          return false;
        }
      }
    }
    for (LabelSelectorRequirement r : nullToEmpty(selector.getMatchExpressions())) {
      String value = labels.get(r.getKey());
      boolean ok = switch (r.getOperator()) {
        case "In" -> value != null && r.getValues().contains(value);
        case "NotIn" -> value == null || !r.getValues().contains(value);
        case "Exists" -> value != null;
        case "DoesNotExist" -> value == null;
        default -> throw new IllegalArgumentException("unknown operator " + r.getOperator());
      };
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static boolean inBlock(String ip, IPBlock block) {
    if (!ip.contains(".") || !block.getCidr().contains(".")) {
      return false; // IPv4 only
    }
    if (!inCidr(ip, block.getCidr())) {
      return false;
    }
    return nullToEmpty(block.getExcept()).stream().noneMatch(except -> inCidr(ip, except));
  }

  private static boolean inCidr(String ip, String cidr) {
    String[] parts = cidr.split("/");
    int bits = Integer.parseInt(parts[1]);
    long mask = bits == 0 ? 0 : (0xffffffffL << (32 - bits)) & 0xffffffffL;
    return (v4(ip) & mask) == (v4(parts[0]) & mask);
  }

  private static long v4(String ip) {
    long value = 0;
    for (String octet : ip.split("\\.")) {
      value = (value << 8) | Integer.parseInt(octet);
    }
    return value;
  }

  private static <T> List<T> nullToEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }
}

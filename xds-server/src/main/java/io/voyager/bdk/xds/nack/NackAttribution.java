package io.voyager.bdk.xds.nack;

import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.xds.ir.BackendIr;
import io.voyager.bdk.xds.ir.BookTranslation;
import io.voyager.bdk.xds.ir.WebhookRouteIr;
import io.voyager.bdk.xds.translate.Translation;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which ExternalBookDefinitions a NACK is about. Envoy's {@code error_detail} usually names what it
 * refused: a cluster ({@code k8s/<ns>/<service>/<port>}), a route's name or path, or an endpoint
 * address. Every such name the translation produced for a book is a token pointing back at the
 * book (its provenance); a book is a culprit when one of its tokens occurs in the message as a
 * whole word (so {@code …/80} does not match {@code …/8080}). Shared names (two books on one
 * Service) blame both. A bare endpoint address ({@code 10.9.8.7}, no port) is the weakest token:
 * many books' endpoints may share it (every book on {@code 127.0.0.1} in the local stack), and
 * Envoy quotes it next to the cluster name in a dumped ClusterLoadAssignment, so it is used only
 * when no cluster, route or {@code host:port} token matches. No token found → no culprit: the NACK
 * stays on {@code /debug/sync} only. Pure.
 */
public final class NackAttribution {
  private NackAttribution() {}

  /** An ExternalBookDefinition by namespace and name. */
  public record BookRef(String namespace, String name) implements Comparable<BookRef> {
    @Override
    public int compareTo(BookRef o) {
      return (namespace + "/" + name).compareTo(o.namespace + "/" + o.name);
    }

    @Override
    public String toString() {
      return namespace + "/" + name;
    }
  }

  public static Set<BookRef> culprits(String error, Translation translation) {
    return attribute(error, translation).culprits();
  }

  /**
   * The culprits and how sure the attribution is: {@code byName} when the error names what those
   * books made (cluster, route name or path, endpoint {@code host:port}); false when only a bare
   * address matched (shared by many books) or nothing did. Only a by-name attribution is precise
   * enough to hold books out of the gateway.
   */
  public record Attribution(Set<BookRef> culprits, boolean byName) {
    public Attribution {
      culprits = Collections.unmodifiableSet(new TreeSet<>(culprits));
    }

    /** Precise: some book, and only books the error names. */
    public boolean unambiguous() {
      return byName && !culprits.isEmpty();
    }
  }

  public static Attribution attribute(String error, Translation translation) {
    Set<BookRef> found = new TreeSet<>();
    if (error == null || error.isBlank() || translation == null) {
      return new Attribution(found, false);
    }
    Tokens tokens = tokens(translation);
    collect(error, tokens.names(), found);
    if (!found.isEmpty()) {
      return new Attribution(found, true);
    }
    collect(error, tokens.bareAddresses(), found);
    return new Attribution(found, false);
  }

  private static void collect(String error, Map<String, Set<BookRef>> byToken, Set<BookRef> found) {
    byToken.forEach((token, books) -> {
      if (containsWord(error, token)) {
        found.addAll(books);
      }
    });
  }

  /**
   * Names Envoy may quote → the books they came from: {@code names} (cluster, route name, path,
   * endpoint {@code host:port}) and, apart, {@code bareAddresses} (endpoint host alone).
   */
  record Tokens(Map<String, Set<BookRef>> names, Map<String, Set<BookRef>> bareAddresses) {}

  static Tokens tokens(Translation translation) {
    Map<String, Set<String>> hostPortsByCluster = new HashMap<>();
    Map<String, Set<String>> hostsByCluster = new HashMap<>();
    for (ClusterLoadAssignment cla : translation.resources().endpoints()) {
      Set<String> hostPorts = new HashSet<>();
      Set<String> hosts = new HashSet<>();
      for (LocalityLbEndpoints locality : cla.getEndpointsList()) {
        for (LbEndpoint endpoint : locality.getLbEndpointsList()) {
          var address = endpoint.getEndpoint().getAddress().getSocketAddress();
          hosts.add(address.getAddress());
          hostPorts.add(address.getAddress() + ":" + address.getPortValue());
        }
      }
      hostPortsByCluster.put(cla.getClusterName(), hostPorts);
      hostsByCluster.put(cla.getClusterName(), hosts);
    }
    Map<String, Set<BookRef>> tokens = new HashMap<>();
    Map<String, Set<BookRef>> bareAddresses = new HashMap<>();
    for (BookTranslation t : translation.books()) {
      if (!(t instanceof BookTranslation.Accepted book) || book.routes().isEmpty()) {
        continue;
      }
      BookRef ref = new BookRef(book.namespace(), book.name());
      String cluster = BackendIr.clusterName(book.backend());
      add(tokens, cluster, ref);
      hostPortsByCluster.getOrDefault(cluster, Set.of()).forEach(hostPort -> add(tokens, hostPort, ref));
      hostsByCluster.getOrDefault(cluster, Set.of()).forEach(host -> add(bareAddresses, host, ref));
      for (WebhookRouteIr route : book.routes()) {
        add(tokens, route.path(), ref);
        String suffix = route.source().namespace() + "/" + route.source().name() + "/" + route.source().integration();
        add(tokens, "webhook/" + suffix, ref);
        add(tokens, "webhook-method/" + suffix, ref);
        add(tokens, "delivery/" + suffix, ref); // the internal delivery route of a queued binding
        add(tokens, WebhookRoutes.internalDeliveryPath(
            route.source().namespace(), route.source().name(), route.source().integration()), ref);
      }
    }
    return new Tokens(tokens, bareAddresses);
  }

  private static void add(Map<String, Set<BookRef>> tokens, String token, BookRef ref) {
    if (token != null && !token.isBlank()) {
      tokens.computeIfAbsent(token, k -> new TreeSet<>()).add(ref);
    }
  }

  /** {@code token} occurs in {@code text} not directly preceded or followed by a name character. */
  static boolean containsWord(String text, String token) {
    for (int at = text.indexOf(token); at >= 0; at = text.indexOf(token, at + 1)) {
      int end = at + token.length();
      if ((at == 0 || !nameChar(text.charAt(at - 1))) && (end == text.length() || !nameChar(text.charAt(end))
          || sentenceEnd(text, end))) {
        return true;
      }
    }
    return false;
  }

  /** A '.' ending a sentence ("… shop.example.com. Consider …") is not part of the name. */
  private static boolean sentenceEnd(String text, int at) {
    return text.charAt(at) == '.' && (at + 1 == text.length() || Character.isWhitespace(text.charAt(at + 1)));
  }

  private static boolean nameChar(char c) {
    return Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '/' || (c == '.');
  }

  /** Envoy's message for a status condition: one line, at most {@code max} characters. */
  public static String conditionMessage(String error, int max) {
    String oneLine = error == null ? "" : error.replaceAll("\\s+", " ").trim();
    return oneLine.length() <= max ? oneLine : oneLine.substring(0, max - 1) + "…";
  }

  /** For tests and /debug: every token, sorted. */
  static List<String> tokenNames(Translation translation) {
    Tokens tokens = tokens(translation);
    TreeSet<String> names = new TreeSet<>(tokens.names().keySet());
    names.addAll(tokens.bareAddresses().keySet());
    return List.copyOf(names);
  }
}

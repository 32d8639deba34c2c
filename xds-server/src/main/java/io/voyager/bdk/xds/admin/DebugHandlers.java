package io.voyager.bdk.xds.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.voyager.bdk.support.AdminServer;
import io.voyager.bdk.xds.nack.Quarantine;
import io.voyager.bdk.xds.server.ProtocolMismatchCheck;
import io.voyager.bdk.xds.server.SnapshotPublisher;
import io.voyager.bdk.xds.server.SyncTracker;
import io.voyager.bdk.xds.version.ContentVersionedSnapshot;
import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/** {@code /debug/snapshot}, {@code /debug/sync} and {@code /debug/quarantine} of the admin HTTP server. */
public final class DebugHandlers {
  private DebugHandlers() {}

  private static final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Current snapshot as Envoy JSON; {@code ?type=clusters|endpoints|listeners|routes} (comma-separated) filters. */
  public static HttpHandler snapshot(SnapshotPublisher publisher) {
    return exchange -> {
      Optional<ContentVersionedSnapshot> current = publisher.current();
      if (current.isEmpty()) {
        AdminServer.respond(exchange, 503, "application/json", "{\"error\": \"no snapshot built yet\"}\n");
        return;
      }
      String type = query(exchange, "type");
      Set<String> types = new LinkedHashSet<>(SnapshotJson.TYPES);
      if (type != null && !type.isBlank()) {
        types.clear();
        for (String t : type.split(",")) {
          String n = SnapshotJson.normalizeType(t);
          if (!SnapshotJson.TYPES.contains(n)) {
            AdminServer.respond(exchange, 400, "application/json",
                "{\"error\": \"type: '" + n.replace('"', '\'') + "' is not one of " + SnapshotJson.TYPES + "\"}\n");
            return;
          }
          types.add(n);
        }
      }
      AdminServer.respond(exchange, 200, "application/json", SnapshotJson.render(current.get(), types));
    };
  }

  /** Per Envoy node and type: current, sent and acked versions, SYNCED/STALE/NACKED and the NACK's error. */
  public static HttpHandler sync(SyncTracker tracker, SnapshotPublisher publisher) {
    return sync(tracker, publisher, Map::of);
  }

  /**
   * As above, plus {@code rejected_by_type}: per resource type with a standing NACK, the
   * ExternalBookDefinitions it was attributed to (empty when no culprit could be pinned down).
   */
  public static HttpHandler sync(SyncTracker tracker, SnapshotPublisher publisher,
      Supplier<Map<String, Set<String>>> culprits) {
    return sync(tracker, publisher, culprits, List::of);
  }

  /**
   * As above, plus {@code protocol_mismatches}: connected Envoys on state-of-the-world xDS that the
   * route layout cannot serve ({@link io.voyager.bdk.xds.server.ProtocolMismatchCheck}), each with
   * its node, stream and the reason.
   */
  public static HttpHandler sync(SyncTracker tracker, SnapshotPublisher publisher,
      Supplier<Map<String, Set<String>>> culprits,
      Supplier<List<ProtocolMismatchCheck.Mismatch>> mismatches) {
    return exchange -> {
      var rows = tracker.report(publisher::currentVersion);
      AdminServer.respond(exchange, 200, "application/json",
          json.writeValueAsString(Map.of("nodes", rows, "rejected_by_type", culprits.get(),
              "protocol_mismatches", mismatches.get())) + "\n");
    };
  }

  /** Books held out of the gateway after Envoy rejected their resources: book, type, since, status message. */
  public static HttpHandler quarantine(Quarantine quarantine) {
    return exchange -> AdminServer.respond(exchange, 200, "application/json",
        json.writeValueAsString(Map.of("quarantined", quarantine.view())) + "\n");
  }

  private static String query(HttpExchange exchange, String name) throws IOException {
    String raw = exchange.getRequestURI().getRawQuery();
    if (raw == null) {
      return null;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair : pair.substring(0, eq);
      if (key.equals(name)) {
        return eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8);
      }
    }
    return null;
  }
}

package io.voyager.bdk.local.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.voyager.bdk.local.EnvoyAdmin;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;

/**
 * When each Envoy of several holds a given configuration: its xDS versions, read from its admin
 * {@code /stats} text readouts ({@code *version_text}: listeners, clusters, every route
 * configuration). Started right after a change's API write, it polls every Envoy in turn and
 * remembers when each first showed each fingerprint, so an Envoy that took the change before the
 * benchmark learned the target still gets its true time.
 */
final class EnvoyVersionWatch {
  private static final long POLL_NANOS = 5_000_000;
  private final List<EnvoyAdmin> envoys;
  private final long t0;
  private final List<Map<String, Long>> firstSeen;

  EnvoyVersionWatch(List<EnvoyAdmin> envoys, long t0) {
    this.envoys = envoys;
    this.t0 = t0;
    this.firstSeen = envoys.stream().map(e -> (Map<String, Long>) new java.util.HashMap<String, Long>()).toList();
  }

  /**
   * {@link #fingerprint}, or null when the admin endpoint did not answer in time: Envoy's main
   * thread serves admin and applies xDS, so while it applies megabytes of routes on a loaded
   * machine an admin call can time out — that Envoy has not taken the change yet.
   */
  static String fingerprintOrNull(EnvoyAdmin admin) {
    try {
      return fingerprint(admin);
    } catch (java.io.UncheckedIOException e) {
      return null;
    }
  }

  /** A counter of Envoy {@code admin}, or -1 when unreadable. */
  static long statOrMinusOne(EnvoyAdmin admin, String name) {
    try {
      return admin.stat(name).orElse(-1L);
    } catch (java.io.UncheckedIOException e) {
      return -1;
    }
  }

  /**
   * The xDS versions Envoy {@code admin} holds now, as one string. Only the text readouts are
   * walked ({@code type=TextReadouts}): Envoy's main thread serves admin and applies xDS, and a
   * regex over every stat (tens of thousands and more at 10,000 books) every few milliseconds, on every Envoy,
   * can delay the very updates being timed.
   */
  static String fingerprint(EnvoyAdmin admin) {
    Map<String, String> versions = new TreeMap<>();
    for (JsonNode stat : admin.json("/stats?format=json&type=TextReadouts&filter=version_text").path("stats")) {
      String name = stat.path("name").asText();
      if (name.endsWith("version_text") && !name.contains("sds.")) {
        versions.put(name, stat.path("value").asText());
      }
    }
    return versions.toString();
  }

  /** Polls until every Envoy has shown {@code target}; milliseconds from t0 per Envoy (NaN: not within the deadline). */
  double[] awaitAll(String target, long deadlineNanos) {
    double[] served = new double[envoys.size()];
    java.util.Arrays.fill(served, Double.NaN);
    for (int i = 0; i < envoys.size(); i++) {
      Long seen = firstSeen.get(i).get(target);
      if (seen != null) {
        served[i] = (seen - t0) / 1e6;
      }
    }
    while (System.nanoTime() < deadlineNanos) {
      boolean all = true;
      for (int i = 0; i < envoys.size(); i++) {
        if (Double.isNaN(served[i])) {
          long now = System.nanoTime();
          if (target.equals(fingerprintOrNull(envoys.get(i)))) {
            served[i] = (now - t0) / 1e6;
          } else {
            all = false;
          }
        }
      }
      if (all) {
        return served;
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
    return served;
  }

  /** One round over every Envoy (call while waiting for the first Envoy to serve the change). */
  void poll() {
    for (int i = 0; i < envoys.size(); i++) {
      long now = System.nanoTime();
      String fingerprint = fingerprintOrNull(envoys.get(i));
      if (fingerprint != null) {
        firstSeen.get(i).putIfAbsent(fingerprint, now);
      }
    }
  }
}

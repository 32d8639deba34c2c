package io.voyager.bdk.local.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.voyager.bdk.support.tls.TlsFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Drives <a href="https://ghz.sh">ghz</a> ({@code make bench-tools} builds the version pinned in
 * {@code bench-tools/ghz/go.mod}) for gRPC calls: direct over mutual TLS (the method found by server
 * reflection) or in plaintext HTTP/2 through a gateway (the method from a descriptor set); reads its
 * JSON report.
 */
final class Ghz {
  private Ghz() {}

  /** What one ghz run gave: calls answered OK, the others, latency percentiles. */
  record Result(long ok, long failures, double seconds, double p50Millis, double p99Millis) {
    double perSecond() {
      return ok / seconds;
    }
  }

  /** ghz: {@code $GHZ_BIN}, else {@code ~/.cache/bdk/bench-tools/bin/ghz}, else on PATH. */
  static Path binary() {
    String configured = System.getenv("GHZ_BIN");
    List<Path> candidates = new ArrayList<>();
    if (configured != null && !configured.isBlank()) {
      candidates.add(Path.of(configured));
    }
    candidates.add(Path.of(System.getProperty("user.home"), ".cache", "bdk", "bench-tools", "bin", "ghz"));
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      candidates.add(Path.of(dir, "ghz"));
    }
    return candidates.stream().filter(Files::isExecutable).findFirst()
        .orElseThrow(() -> new IllegalStateException("ghz not found (GHZ_BIN, ~/.cache/bdk/bench-tools/bin, PATH): run 'make bench-tools'"));
  }

  /**
   * Calls {@code method} on {@code hostPort} with {@code data} (JSON) and {@code metadata} from
   * {@code concurrency} workers over {@code connections} connections for {@code seconds}.
   */
  static Result run(Path binary, String hostPort, TlsFiles client, String method, String data, Map<String, String> metadata,
      int concurrency, int connections, double seconds) throws IOException, InterruptedException {
    return run(binary, hostPort, client, null, method, data, metadata, concurrency, connections, seconds);
  }

  /**
   * As above; {@code client} null: plaintext HTTP/2 (h2c, as to Envoy's plain listener), and
   * {@code protoset} not null: the method's descriptors from that file instead of server reflection
   * (which a gateway does not route).
   */
  static Result run(Path binary, String hostPort, TlsFiles client, Path protoset, String method, String data,
      Map<String, String> metadata, int concurrency, int connections, double seconds) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(binary.toString()));
    if (client == null) {
      command.add("--insecure");
    } else {
      command.addAll(List.of("--cacert", client.trustedCa().toString(), "--cert", client.certificate().toString(),
          "--key", client.privateKey().toString()));
    }
    if (protoset != null) {
      command.addAll(List.of("--protoset", protoset.toString()));
    }
    command.addAll(List.of("--call", method, "-d", data,
        "-m", new ObjectMapper().writeValueAsString(metadata),
        "-c", Integer.toString(concurrency), "--connections", Integer.toString(connections),
        "-z", Math.max(1, Math.round(seconds)) + "s", "-n", "100000000", "--format", "json", hostPort));
    Process ghz = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String output = new String(ghz.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!ghz.waitFor((long) seconds + 120, TimeUnit.SECONDS) || ghz.exitValue() != 0) {
      ghz.destroyForcibly();
      throw new IllegalStateException("ghz failed (" + method + " on " + hostPort + "):\n" + output);
    }
    JsonNode report = new ObjectMapper().readTree(output);
    long count = report.path("count").asLong();
    long ok = report.path("statusCodeDistribution").path("OK").asLong();
    double p50 = 0;
    double p99 = 0;
    for (JsonNode d : report.path("latencyDistribution")) {
      if (d.path("percentage").asInt() == 50) {
        p50 = d.path("latency").asLong() / 1e6;
      } else if (d.path("percentage").asInt() == 99) {
        p99 = d.path("latency").asLong() / 1e6;
      }
    }
    return new Result(ok, count - ok, report.path("total").asLong() / 1e9, p50, p99);
  }
}

package io.voyager.bdk.local.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Drives <a href="https://github.com/wg/wrk">wrk</a> (Debian's {@code wrk}; {@code make bench-tools}
 * installs it) with one of the benchmark's Lua scripts and reads the line its {@code done()} prints.
 * wrk runs as its own process, in C, so the load generator neither shares the JVM under test nor
 * costs as much CPU per request as a Java client would on the same two cores.
 */
final class Wrk {
  private Wrk() {}

  /** What one wrk run gave: requests answered, non-2xx/3xx answers plus socket errors, latency percentiles. */
  record Result(long requests, double seconds, long failures, double p50Millis, double p90Millis, double p99Millis) {
    double perSecond() {
      return requests / seconds;
    }
  }

  private static final Pattern REPORT = Pattern.compile("^BDK-WRK (.*)$", Pattern.MULTILINE);

  /** The wrk binary: {@code $WRK_BIN}, else {@code wrk} on PATH; refuses with how to install it. */
  static Path binary() {
    String configured = System.getenv("WRK_BIN");
    if (configured != null && !configured.isBlank()) {
      Path p = Path.of(configured);
      if (!Files.isExecutable(p)) {
        throw new IllegalStateException("WRK_BIN=" + configured + " is not an executable file");
      }
      return p;
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      Path p = Path.of(dir, "wrk");
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    throw new IllegalStateException("wrk not found on PATH (nor WRK_BIN): run 'make bench-tools' (Debian: apt-get install wrk)");
  }

  /** Writes the named script (with the shared {@code done()} report) into {@code dir}. */
  static Path script(Path dir, String name) throws IOException {
    String body = resource(name) + resource("report.lua");
    Path file = dir.resolve(name);
    Files.writeString(file, body);
    return file;
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = Wrk.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException("benchmark script " + name + " missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /**
   * Runs wrk against {@code url} for {@code seconds} with {@code threads} threads and
   * {@code connections} connections, {@code script} and its arguments; returns its report.
   */
  static Result run(Path binary, String url, int threads, int connections, double seconds, Path script,
      List<String> scriptArgs) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(binary.toString(),
        "-t", Integer.toString(threads), "-c", Integer.toString(connections),
        "-d", Math.max(1, Math.round(seconds)) + "s", "--timeout", "10s", "-s", script.toString(), url));
    if (!scriptArgs.isEmpty()) {
      command.add("--");
      command.addAll(scriptArgs);
    }
    Process wrk = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(wrk.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!wrk.waitFor((long) seconds + 120, TimeUnit.SECONDS) || wrk.exitValue() != 0) {
      wrk.destroyForcibly();
      throw new IllegalStateException("wrk failed (" + String.join(" ", command) + "):\n" + output);
    }
    Matcher m = REPORT.matcher(output);
    if (!m.find()) {
      throw new IllegalStateException("wrk printed no report:\n" + output);
    }
    Map<String, Long> values = new HashMap<>();
    for (String pair : m.group(1).trim().split("\\s+")) {
      String[] kv = pair.split("=", 2);
      values.put(kv[0], Long.parseLong(kv[1]));
    }
    long failures = values.get("status_errors") + values.get("connect") + values.get("read") + values.get("write")
        + values.get("timeout");
    return new Result(values.get("requests"), values.get("duration_us") / 1e6, failures,
        values.get("p50_us") / 1e3, values.get("p90_us") / 1e3, values.get("p99_us") / 1e3);
  }
}

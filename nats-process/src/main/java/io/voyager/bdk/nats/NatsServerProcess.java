package io.voyager.bdk.nats;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One real nats-server process with JetStream on file storage, bound to 127.0.0.1: what {@code make
 * run} starts and what every NATS test runs against (no in-process stand-in).
 *
 * <p>Its directory holds the rendered {@code nats-server.conf}, the JetStream store ({@code jetstream/}),
 * the log and the ports file. Port 0 asks for an ephemeral client port: the server picks one and
 * reports it in its ports file (no race between choosing and binding). {@link #restart()} starts
 * the server again on the same port and the same store — how tests show that file storage loses
 * nothing — and {@link #kill()} ends it abruptly (SIGKILL). {@link #close()} stops it (SIGTERM, then
 * SIGKILL); a JVM shutdown hook does the same if the owner never gets to.
 */
public final class NatsServerProcess implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NatsServerProcess.class);
  private static final Duration STOP_GRACE = Duration.ofSeconds(10);
  private static final Pattern CLIENT_URL = Pattern.compile("\"nats\"\\s*:\\s*\\[\\s*\"nats://[^\"]*:(\\d+)\"");
  private static final Pattern MONITOR_URL = Pattern.compile("\"monitoring\"\\s*:\\s*\\[\\s*\"(http://[^\"]+)\"");

  /** How the server is configured: where it listens, how large a message may be, how long to wait for it. */
  public record Settings(int port, long maxPayloadBytes, long maxFileStoreBytes, Duration startTimeout) {
    /** Ephemeral port, 8 MiB messages, 1 GiB of file store, 60 s to start (a loaded machine). */
    public static Settings defaults() {
      return new Settings(0, 8L * 1024 * 1024, 1024L * 1024 * 1024, Duration.ofSeconds(60));
    }

    public Settings withPort(int port) {
      return new Settings(port, maxPayloadBytes, maxFileStoreBytes, startTimeout);
    }

    public Settings {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("nats port must be 0..65535, got " + port);
      }
      if (maxPayloadBytes < 1024 || maxPayloadBytes > 64L * 1024 * 1024) {
        throw new IllegalArgumentException("max payload must be 1 KiB..64 MiB, got " + maxPayloadBytes);
      }
    }
  }

  private final Path binary;
  private final Path dir;
  private final Settings settings;
  private final Thread shutdownHook;
  private volatile Process process;
  private volatile int port;
  private volatile String monitorUrl;

  private NatsServerProcess(Path binary, Path dir, Settings settings) {
    this.binary = binary;
    this.dir = dir;
    this.settings = settings;
    this.port = settings.port();
    this.shutdownHook = new Thread(this::destroyQuietly, "nats-server-stop");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /** Starts nats-server from {@code binary} in {@code dir} and returns once it serves JetStream. */
  public static NatsServerProcess start(Path binary, Path dir, Settings settings) {
    NatsServerProcess server = new NatsServerProcess(binary, dir.toAbsolutePath().normalize(), settings);
    try {
      server.launch();
      return server;
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
  }

  /** Starts the pinned nats-server ({@link NatsServerBinary}) on an ephemeral port in {@code dir}. */
  public static NatsServerProcess startEphemeral(Path projectRoot, Path dir) {
    return start(NatsServerBinary.locate(projectRoot), dir, Settings.defaults());
  }

  /** {@code nats://127.0.0.1:<port>}: what clients connect to (unchanged across restarts). */
  public String url() {
    return "nats://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** The running server's process id; -1 while it is stopped. */
  public long pid() {
    Process p = process;
    return p != null && p.isAlive() ? p.pid() : -1;
  }

  public Path logFile() {
    return dir.resolve("nats-server.log");
  }

  public Path storeDir() {
    return dir.resolve("jetstream");
  }

  public boolean isRunning() {
    Process p = process;
    return p != null && p.isAlive();
  }

  /** Stops the server gracefully (SIGTERM: JetStream flushes its store), waiting for it to exit. */
  public void stop() {
    Process p = process;
    if (p == null) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly().waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
    process = null;
    log.info("event=nats_server_stopped pid={} port={}", p.pid(), port);
  }

  /** Ends the server abruptly (SIGKILL), as a crash or a lost node would. */
  public void kill() {
    Process p = process;
    if (p == null) {
      return;
    }
    p.destroyForcibly();
    try {
      p.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
    log.info("event=nats_server_killed pid={} port={}", p.pid(), port);
  }

  /** Stops the server if it runs, then starts it again on the same port with the same store. */
  public void restart() {
    stop();
    launch();
  }

  /** Starts the server again after {@link #stop()} or {@link #kill()} (same port, same store). */
  public void startAgain() {
    if (isRunning()) {
      throw new IllegalStateException("nats-server is already running on port " + port);
    }
    launch();
  }

  private void launch() {
    try {
      Files.createDirectories(dir);
      Path portsDir = dir.resolve("ports");
      Files.createDirectories(portsDir);
      try (Stream<Path> old = Files.list(portsDir)) {
        for (Path file : old.toList()) {
          Files.deleteIfExists(file);
        }
      }
      Path conf = dir.resolve("nats-server.conf");
      Files.writeString(conf, config(settings.withPort(port), storeDir(), portsDir));
      Process started = new ProcessBuilder(List.of(binary.toString(), "-c", conf.toString()))
          .directory(dir.toFile())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()))
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .start();
      process = started;
      awaitReady(started, portsDir);
      log.info("event=nats_server_started pid={} url={} store={} log={}", started.pid(), url(), storeDir(), logFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start nats-server " + binary + " in " + dir, e);
    }
  }

  /** The server's configuration (pure): loopback only, JetStream on file storage, a ports file. */
  static String config(Settings settings, Path storeDir, Path portsDir) {
    return String.join("\n",
        "# Written by NatsServerProcess; rewritten on every start.",
        "server_name: bdk-local",
        "host: 127.0.0.1",
        "port: " + (settings.port() == 0 ? -1 : settings.port()),
        "http: \"127.0.0.1:-1\"",
        "max_payload: " + settings.maxPayloadBytes(),
        "ports_file_dir: " + quoted(portsDir),
        "jetstream {",
        "  store_dir: " + quoted(storeDir),
        "  max_memory_store: 67108864",
        "  max_file_store: " + settings.maxFileStoreBytes(),
        "}",
        "");
  }

  private static String quoted(Path path) {
    return "\"" + path.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private void awaitReady(Process started, Path portsDir) throws IOException {
    long deadline = System.nanoTime() + settings.startTimeout().toNanos();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    while (System.nanoTime() < deadline) {
      if (!started.isAlive()) {
        throw new IllegalStateException("nats-server exited with " + started.exitValue() + " before it was ready; see "
            + logFile() + ": " + tail());
      }
      String ports = readPortsFile(portsDir);
      if (ports != null) {
        Matcher client = CLIENT_URL.matcher(ports);
        Matcher monitor = MONITOR_URL.matcher(ports);
        if (client.find() && monitor.find()) {
          port = Integer.parseInt(client.group(1));
          monitorUrl = monitor.group(1);
          if (jetStreamHealthy(http)) {
            return;
          }
        }
      }
      try {
        Thread.sleep(50); // polling the process's own readiness, not synchronising a test
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for nats-server", e);
      }
    }
    throw new IllegalStateException("nats-server was not ready within " + settings.startTimeout() + "; see "
        + logFile() + ": " + tail());
  }

  private boolean jetStreamHealthy(HttpClient http) {
    try {
      HttpResponse<String> health = http.send(
          HttpRequest.newBuilder(URI.create(monitorUrl + "/healthz?js-enabled-only=true"))
              .timeout(Duration.ofSeconds(2)).build(),
          HttpResponse.BodyHandlers.ofString());
      return health.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static String readPortsFile(Path portsDir) throws IOException {
    try (Stream<Path> files = Files.list(portsDir)) {
      Path file = files.filter(f -> f.getFileName().toString().endsWith(".ports")).findFirst().orElse(null);
      return file == null ? null : Files.readString(file);
    }
  }

  private String tail() {
    try {
      List<String> lines = Files.readAllLines(logFile());
      return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  private void destroyQuietly() {
    try {
      stop();
    } catch (RuntimeException e) {
      // best effort at JVM exit
    }
  }

  @Override
  public void close() {
    stop();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down: the hook runs or ran
    }
  }
}

package io.voyager.bdk.local;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One real Envoy process: started from a rendered bootstrap with {@code --use-dynamic-base-id}
 * (so several can run on one machine), its admin address read from {@code --admin-address-path},
 * stdout and stderr in a log file. {@link #close()} stops it (SIGTERM, then SIGKILL), and a JVM
 * shutdown hook does the same if the owner never gets to, so no Envoy outlives the JVM that
 * started it through a normal exit or Ctrl-C.
 */
public final class EnvoyProcess implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EnvoyProcess.class);
  private static final Duration STOP_GRACE = Duration.ofSeconds(10);

  private final Process process;
  private final Path workDir;
  private final Path logFile;
  private final Path adminAddressFile;
  private final Thread shutdownHook;
  private volatile EnvoyAdmin admin;

  private EnvoyProcess(Process process, Path workDir, Path logFile, Path adminAddressFile) {
    this.process = process;
    this.workDir = workDir;
    this.logFile = logFile;
    this.adminAddressFile = adminAddressFile;
    this.shutdownHook = new Thread(this::destroy, "envoy-" + process.pid() + "-stop");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Writes {@code bootstrapYaml} to {@code workDir/envoy-bootstrap.yaml} and starts Envoy on it.
   * Returns at once; use {@link #awaitReady(Duration)}.
   */
  public static EnvoyProcess start(Path binary, String bootstrapYaml, Path workDir, int concurrency,
      List<String> extraArgs) throws IOException {
    workDir = workDir.toAbsolutePath().normalize();
    Files.createDirectories(workDir);
    Path bootstrap = workDir.resolve("envoy-bootstrap.yaml");
    Path adminAddress = workDir.resolve("envoy-admin-address");
    Path logFile = workDir.resolve("envoy.log");
    Files.writeString(bootstrap, bootstrapYaml);
    Files.deleteIfExists(adminAddress);
    List<String> command = new ArrayList<>(List.of(
        binary.toString(),
        "-c", bootstrap.toString(),
        "--use-dynamic-base-id",
        "--admin-address-path", adminAddress.toString(),
        "--concurrency", Integer.toString(concurrency),
        "--drain-time-s", "1",
        "--log-level", "info"));
    command.addAll(extraArgs);
    Process process = new ProcessBuilder(command)
        .directory(workDir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .start();
    log.info("event=envoy_started pid={} binary={} bootstrap={} log={}", process.pid(), binary, bootstrap, logFile);
    return new EnvoyProcess(process, workDir, logFile, adminAddress);
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public Path logFile() {
    return logFile;
  }

  public Path workDir() {
    return workDir;
  }

  /** The admin API; waits (up to 30 s) for Envoy to write its admin address. */
  public EnvoyAdmin admin() {
    EnvoyAdmin current = admin;
    if (current == null) {
      current = new EnvoyAdmin(awaitAdminAddress(Duration.ofSeconds(30)));
      admin = current;
    }
    return current;
  }

  /** Waits until {@code /ready} answers 200, failing early (with the log tail) if Envoy exits. */
  public EnvoyProcess awaitReady(Duration timeout) {
    EnvoyAdmin admin = admin();
    awaitOrExplain("envoy /ready", timeout, admin::isReady);
    log.info("event=envoy_ready pid={} admin={}", pid(), admin.uri(""));
    return this;
  }

  /**
   * Waits until a listener arrived by xDS is active and {@code 127.0.0.1:port} accepts
   * connections.
   */
  public EnvoyProcess awaitListener(int port, Duration timeout) {
    EnvoyAdmin admin = admin();
    awaitOrExplain("envoy listener on port " + port, timeout,
        () -> {
          if (admin.statOrZero("listener_manager.lds.update_rejected") > 0) {
            throw new ConfigRejected("envoy rejected the listener config from xDS (port " + port
                + " in use? see GET /config_dump error_state)");
          }
          return admin.statOrZero("listener_manager.total_listeners_active") > 0 && accepts(port);
        });
    log.info("event=envoy_listener_active pid={} port={}", pid(), port);
    return this;
  }

  /** The last {@code lines} lines of Envoy's log, for failure messages. */
  public String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + logFile + ": " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    destroy();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // already in shutdown: the hook is running or has run
    }
  }

  private synchronized void destroy() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    log.info("event=envoy_stopped pid={} exit_code={}", pid(), process.isAlive() ? "running" : process.exitValue());
  }

  private InetSocketAddress awaitAdminAddress(Duration timeout) {
    awaitOrExplain("envoy admin address in " + adminAddressFile, timeout,
        () -> Files.exists(adminAddressFile) && !Files.readString(adminAddressFile).isBlank());
    try {
      return parseAddress(Files.readString(adminAddressFile).trim());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Parses Envoy's {@code host:port} admin address line (pure). */
  static InetSocketAddress parseAddress(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("not a host:port address: " + hostPort);
    }
    String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
    return InetSocketAddress.createUnresolved(host, Integer.parseInt(hostPort.substring(colon + 1)));
  }

  private void awaitOrExplain(String what, Duration timeout, Callable<Boolean> condition) {
    try {
      await(what)
          .atMost(timeout)
          .pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(100))
          .ignoreExceptionsMatching(e -> !(e instanceof ConfigRejected))
          .failFast("envoy exited", () -> !process.isAlive())
          .until(condition);
    } catch (ConditionTimeoutException | org.awaitility.core.TerminalFailureException | ConfigRejected e) {
      throw new IllegalStateException("waiting for " + what + " failed (" + e.getMessage() + "); envoy pid="
          + pid() + (process.isAlive() ? " running" : " exited with " + process.exitValue())
          + "; log " + logFile + " ends with:\n" + logTail(30), e);
    }
  }

  /** Envoy refused configuration it was sent: waiting longer will not help. */
  private static final class ConfigRejected extends IllegalStateException {
    ConfigRejected(String message) {
      super(message);
    }
  }

  private static boolean accepts(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}

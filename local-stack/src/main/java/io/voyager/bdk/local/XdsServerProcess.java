package io.voyager.bdk.local;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Starts the xds-server in its own JVM (same classpath, same arguments as in-process), so a
 * benchmark can read the heap and CPU of the xds-server alone rather than of the whole stack JVM,
 * and a test can kill it ({@link #kill()}: SIGKILL) and start it again with the same arguments.
 * Ready when its admin {@code /readyz} answers 200 (informers synced, first snapshot published).
 * Every start appends to the one log file, at level WARN unless {@code jvmOptions} set
 * {@code org.slf4j.simpleLogger.*} levels.
 */
public final class XdsServerProcess implements ServiceStarter {
  private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");
  private final Path logFile;
  private final List<String> jvmOptions;
  private volatile Process process;

  public XdsServerProcess(Path logFile, List<String> jvmOptions) {
    this.logFile = logFile;
    this.jvmOptions = List.copyOf(jvmOptions);
  }

  @Override
  public AutoCloseable start(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    command.addAll(jvmOptions); // after the default: the last -D of a name wins, so a caller may log more
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.voyager.bdk.xds.Main"));
    command.addAll(List.of(args));
    int adminPort = Integer.parseInt(argument(args, "--admin-port"));
    process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
    Process started = process;
    Runtime.getRuntime().addShutdownHook(new Thread(started::destroy, "xds-server-process-stop"));
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
    URI readyz = URI.create("http://127.0.0.1:" + adminPort + "/readyz");
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException("xds-server process exited with " + process.exitValue() + "; see " + logFile);
      }
      try {
        if (http.send(HttpRequest.newBuilder(readyz).timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          break;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        close();
        throw new IllegalStateException("xds-server process not ready within 180 s; see " + logFile);
      }
      LockSupport.parkNanos(100_000_000);
    }
    return this::close;
  }

  public long pid() {
    return process.pid();
  }

  /** Heap used after a full GC ({@code jcmd GC.run}, then {@code GC.heap_info}), MiB; NaN if unreadable. */
  public double heapAfterGcMib() {
    try {
      jcmd("GC.run");
      Matcher m = HEAP_USED.matcher(jcmd("GC.heap_info"));
      return m.find() ? Long.parseLong(m.group(1)) / 1024.0 : Double.NaN;
    } catch (IOException | InterruptedException e) {
      return Double.NaN;
    }
  }

  private String jcmd(String command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
        Long.toString(pid()), command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor(60, TimeUnit.SECONDS);
    return out;
  }

  /**
   * Kills the running xds-server at once (SIGKILL: no shutdown hook runs, its streams are cut
   * without a goodbye), as an OOM kill or a lost node would, and waits until it is gone.
   */
  public void kill() throws InterruptedException {
    Process p = process;
    if (p != null && !p.destroyForcibly().waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("xds-server process " + p.pid() + " still running 30 s after SIGKILL");
    }
  }

  private void close() {
    Process p = process;
    if (p != null && p.isAlive()) {
      p.destroy();
      try {
        if (!p.waitFor(15, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  private static String argument(String[] args, String name) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    throw new IllegalArgumentException("xds-server arguments have no " + name);
  }
}

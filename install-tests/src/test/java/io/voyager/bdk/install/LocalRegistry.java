package io.voyager.bdk.install;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;

/**
 * A container registry on 127.0.0.1 (Debian's docker-registry, the CNCF distribution registry):
 * where the images go the way docs/install.md's "Running in a cluster" pushes them (skopeo copy
 * --preserve-digests from the OCI tarballs), and where podman pulls them from by digest.
 */
final class LocalRegistry implements AutoCloseable {
  final String host;
  private final Process process;

  private LocalRegistry(String host, Process process) {
    this.host = host;
    this.process = process;
  }

  static LocalRegistry start(Path dir) throws IOException {
    int port = freePort();
    Path config = dir.resolve("config.yml");
    Files.createDirectories(dir.resolve("storage"));
    Files.writeString(config, """
        version: 0.1
        log: {level: warn}
        storage:
          filesystem: {rootdirectory: %s}
        http:
          addr: 127.0.0.1:%d
        """.formatted(dir.resolve("storage"), port));
    Process process = new ProcessBuilder("docker-registry", "serve", config.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
    LocalRegistry registry = new LocalRegistry("127.0.0.1:" + port, process);
    HttpClient http = HttpClient.newHttpClient();
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
      if (!process.isAlive()) {
        throw new IllegalStateException("docker-registry exited: " + Files.readString(dir.resolve("registry.log")));
      }
      try {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + registry.host + "/v2/")).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
      } catch (IOException e) {
        return false;
      }
    });
    return registry;
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() {
    process.destroy();
  }
}

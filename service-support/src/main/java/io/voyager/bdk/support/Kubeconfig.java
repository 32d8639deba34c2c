package io.voyager.bdk.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A kubeconfig for an API server that takes any token over plain HTTP or unverified TLS: the local
 * stack's embedded Kubernetes API (so services, kubectl and operators can use it) and the tests' mock
 * API servers, which hand it to a service's {@code --kubeconfig}.
 */
public final class Kubeconfig {
  /** Context, cluster and user name in the files this class writes. */
  public static final String CONTEXT = "bdk-local";

  private Kubeconfig() {}

  /** Kubeconfig YAML for an unauthenticated API server at {@code serverUrl} (pure). */
  public static String render(String serverUrl, String namespace) {
    if (serverUrl == null || !serverUrl.matches("https?://[^\\s]+")) {
      throw new IllegalArgumentException("serverUrl must be an http(s) URL, got " + serverUrl);
    }
    return """
        apiVersion: v1
        kind: Config
        clusters:
          - name: %1$s
            cluster:
              server: %2$s
              insecure-skip-tls-verify: true
        users:
          - name: %1$s
            user:
              token: local
        contexts:
          - name: %1$s
            context:
              cluster: %1$s
              user: %1$s
              namespace: %3$s
        current-context: %1$s
        """.formatted(CONTEXT, serverUrl, namespace);
  }

  /** Writes {@link #render} to {@code file} atomically (readers never see half a file). */
  public static Path write(Path file, String serverUrl, String namespace) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, ".kubeconfig", ".tmp");
    Files.writeString(tmp, render(serverUrl, namespace));
    return Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}

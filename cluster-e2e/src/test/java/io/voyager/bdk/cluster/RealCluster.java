package io.voyager.bdk.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import io.fabric8.kubernetes.client.readiness.Readiness;
import io.voyager.bdk.support.KubeClients;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;

/**
 * The real single-node cluster that {@code k8s/cluster/cluster.sh up} runs, seen from a test: its
 * API (as cluster admin), its containerd (to import images) and its kubectl.
 *
 * <p>The cluster is named by the system property {@code bdk.cluster.dir} (its run directory, as
 * {@code make e2e-cluster} passes it). Without it the calling test is skipped with a message, so a
 * plain {@code make test} stays independent of a node; with {@code bdk.cluster.required=true} a
 * missing or unreachable cluster fails instead.
 */
final class RealCluster {
  private static RealCluster instance;
  private static boolean skipNoticePrinted;

  private final Path runDir;
  private final Path kubectl;
  private final KubernetesClient client;

  private RealCluster(Path runDir, Path kubectl, KubernetesClient client) {
    this.runDir = runDir;
    this.kubectl = kubectl;
    this.client = client;
  }

  /** The cluster of this test run; skips (or, when required, fails) the caller when there is none. */
  static synchronized RealCluster get() {
    if (instance != null) {
      return instance;
    }
    String dir = System.getProperty("bdk.cluster.dir", "");
    boolean required = Boolean.getBoolean("bdk.cluster.required");
    if (dir.isBlank()) {
      skip("cluster-e2e: skipped: no cluster given; `make e2e-cluster` (as root) runs these tests"
          + " on a real node (or pass -Dbdk.cluster.dir=<run directory of make cluster>)");
    }
    Path runDir = Path.of(dir).toAbsolutePath();
    Path kubeconfig = runDir.resolve("kubeconfig");
    Path apiserverExe = runDir.resolve("pids/kube-apiserver.exe");
    if (!Files.isRegularFile(kubeconfig) || !Files.isRegularFile(apiserverExe)) {
      String why = "cluster-e2e: no running cluster in " + runDir + " (run `make cluster` as root)";
      if (required) {
        throw new IllegalStateException(why);
      }
      skip(why);
    }
    try {
      Path kubectl = Path.of(Files.readString(apiserverExe).strip()).resolveSibling("kubectl");
      KubernetesClient client = KubeClients.create(kubeconfig);
      // Fails fast, with the API server's own error, when the cluster is not answering.
      client.getKubernetesVersion();
      instance = new RealCluster(runDir, kubectl, client);
      Runtime.getRuntime().addShutdownHook(new Thread(client::close));
      return instance;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void skip(String why) {
    if (!skipNoticePrinted) {
      // Once on the console, where a skipped suite is otherwise easy to miss.
      System.out.println(why);
      skipNoticePrinted = true;
    }
    Assumptions.abort(why);
  }

  KubernetesClient client() {
    return client;
  }

  Path runDir() {
    return runDir;
  }

  /** Waits up to two minutes for a Ready pod with these labels and returns it. */
  Pod awaitReadyPod(String namespace, Map<String, String> labels) {
    AtomicReference<Pod> ready = new AtomicReference<>();
    Awaitility.await("a Ready pod " + labels + " in " + namespace).atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> {
          client.pods().inNamespace(namespace).withLabels(labels).list().getItems().stream()
              .filter(Readiness::isPodReady).findFirst().ifPresent(ready::set);
          return ready.get() != null;
        });
    return ready.get();
  }

  /**
   * Imports an OCI or Docker image archive into the node's containerd, where the kubelet finds it
   * ({@code k8s/cluster/cluster.sh import}: names without a registry are tagged docker.io/… too).
   */
  void importImage(Path archive) {
    Path script = Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize()
        .resolve("k8s/cluster/cluster.sh");
    run(List.of(script.toString(), "import", archive.toString()),
        Map.of("BDK_CLUSTER_DIR", runDir.toString()), 600);
  }

  /** Runs kubectl against this cluster; fails the test when it exits non-zero. */
  String kubectl(String... args) {
    List<String> command = new ArrayList<>();
    command.add(kubectl.toString());
    command.add("--kubeconfig");
    command.add(runDir.resolve("kubeconfig").toString());
    command.addAll(List.of(args));
    return run(command, Map.of(), 300);
  }

  /**
   * Runs a script of the project (k8s/tls-secrets.sh …) against this cluster: KUBECONFIG and KUBECTL
   * name this cluster's; fails the test when it exits non-zero. Returns its output.
   */
  String script(Path script, String... args) {
    List<String> command = new ArrayList<>();
    command.add(script.toString());
    command.addAll(List.of(args));
    return run(command, Map.of("KUBECONFIG", runDir.resolve("kubeconfig").toString(),
        "KUBECTL", kubectl.toString()), 300);
  }

  /** The outcome of a command run in a container. */
  record ExecResult(int exitCode, String stdout, String stderr) {
    boolean succeeded() {
      return exitCode == 0;
    }
  }

  /** Runs {@code command} in the pod's first container (through the API server and kubelet). */
  ExecResult exec(String namespace, String pod, String... command) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (ExecWatch watch = client.pods().inNamespace(namespace).withName(pod)
        .writingOutput(out).writingError(err).exec(command)) {
      int code = watch.exitCode().get(30, TimeUnit.SECONDS);
      return new ExecResult(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("exec " + String.join(" ", command) + " in " + namespace + "/" + pod, e);
    }
  }

  private static String run(List<String> command, Map<String, String> environment, int timeoutSeconds) {
    try {
      Path output = Files.createTempFile("cluster-e2e", ".out");
      try {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(output.toFile());
        builder.environment().putAll(environment);
        Process process = builder.start();
        boolean exited = process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        if (!exited) {
          process.destroyForcibly();
        }
        String text = Files.readString(output);
        assertThat(exited).as("%s finished within %ds; output:%n%s", command, timeoutSeconds, text).isTrue();
        assertThat(process.exitValue()).as("exit status of %s; output:%n%s", command, text).isZero();
        return text;
      } finally {
        Files.deleteIfExists(output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}

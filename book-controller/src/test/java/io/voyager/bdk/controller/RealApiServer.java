package io.voyager.bdk.controller;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.voyager.bdk.model.BdkLabels;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One real kube-apiserver + etcd ({@code io.fabric8:kube-api-test}) for the whole test run: started
 * by the first class that uses it, stopped when the run ends. It installs the BDK CRDs from
 * {@code k8s/crds} (waiting for Established) and the {@code bdk} namespace, and hands each test class
 * its own cluster-admin {@link KubernetesClient} (a parameter of a {@code @BeforeAll} method),
 * closed after the class.
 *
 * <p>The binaries come from {@code $KUBE_API_TEST_DIR} (default {@code ~/.cache/bdk/kube-api-test}),
 * built by {@code k8s/test-apiserver/build.sh}; when they are missing the tests fail saying so —
 * nothing is downloaded.
 *
 * <p>A bare apiserver runs no controllers: no garbage collection, namespaces never finish deleting,
 * Deployments make no pods. Tests use a namespace of their own and write Deployment status themselves.
 */
final class RealApiServer implements BeforeAllCallback, ParameterResolver {
  private static final Logger log = LoggerFactory.getLogger(RealApiServer.class);
  private static final String BUILD_HINT =
      "run k8s/test-apiserver/build.sh (it builds kube-apiserver, kubectl and etcd into $KUBE_API_TEST_DIR, "
          + "default ~/.cache/bdk/kube-api-test)";
  private static final Duration CRD_ESTABLISHED = Duration.ofSeconds(60);
  private static final ExtensionContext.Namespace STORE = ExtensionContext.Namespace.create(RealApiServer.class);

  /** The running server, shared by every class of the run. */
  private record Running(KubeAPIServer server, String kubeConfigYaml) implements AutoCloseable {
    @Override
    public void close() {
      server.stop();
      log.info("event=kube_apiserver_stopped");
    }
  }

  /** A class's own client. */
  private record ClassClient(KubernetesClient client) implements AutoCloseable {
    @Override
    public void close() {
      client.close();
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    running(context);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == KubernetesClient.class || type == KubeConfigYaml.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Running running = running(context);
    if (parameter.getParameter().getType() == KubeConfigYaml.class) {
      return new KubeConfigYaml(running.kubeConfigYaml());
    }
    return context.getStore(STORE)
        .getOrComputeIfAbsent("client:" + context.getUniqueId(), k -> new ClassClient(client(running.kubeConfigYaml())),
            ClassClient.class)
        .client();
  }

  /** The kubeconfig of the shared server, for code under test that reads a kubeconfig file. */
  record KubeConfigYaml(String yaml) {}

  static KubernetesClient client(String kubeConfigYaml) {
    return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
  }

  private static Running running(ExtensionContext context) {
    return context.getRoot().getStore(STORE).getOrComputeIfAbsent(Running.class, k -> start(), Running.class);
  }

  private static Running start() {
    Path testDir = testDir();
    String version = installedVersion(testDir);
    long started = System.nanoTime();
    KubeAPIServer server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
        .withTestDir(testDir.toString())
        .withApiServerVersion(version)
        .withOfflineMode(true) // never download: the binaries are ours (set here, never as an env variable)
        .withStartupTimeout(180_000)
        .build());
    server.start();
    Running running = new Running(server, server.getKubeConfigYaml());
    try (KubernetesClient admin = client(running.kubeConfigYaml())) {
      installCrds(admin);
      Fixtures.namespace(admin, BdkLabels.BDK_NAMESPACE);
    } catch (RuntimeException e) {
      running.close();
      throw e;
    }
    log.info("event=kube_apiserver_started version={} startup_ms={}", version, (System.nanoTime() - started) / 1_000_000);
    return running;
  }

  static Path testDir() {
    String dir = System.getenv(KubeAPIServerConfigBuilder.KUBE_API_TEST_DIR);
    return dir == null || dir.isBlank()
        ? Path.of(System.getProperty("user.home"), ".cache", "bdk", "kube-api-test")
        : Path.of(dir);
  }

  /** Newest {@code k8s/<version>-linux-amd64} with all three binaries; fails naming the fix when none. */
  static String installedVersion(Path testDir) {
    String suffix = "-linux-amd64";
    Path k8s = testDir.resolve("k8s");
    Optional<String> newest = Optional.empty();
    if (Files.isDirectory(k8s)) {
      try (Stream<Path> dirs = Files.list(k8s)) {
        newest = dirs
            .filter(d -> d.getFileName().toString().endsWith(suffix))
            .filter(d -> Stream.of("kube-apiserver", "etcd", "kubectl").allMatch(b -> Files.isExecutable(d.resolve(b))))
            .map(d -> d.getFileName().toString())
            .map(n -> n.substring(0, n.length() - suffix.length()))
            .max(Comparator.comparing(RealApiServer::versionKey));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return newest.orElseThrow(() -> new IllegalStateException(
        "No kube-apiserver/etcd/kubectl binaries under " + k8s + "/<version>" + suffix + ": " + BUILD_HINT));
  }

  private static String versionKey(String version) {
    StringBuilder key = new StringBuilder();
    for (String part : version.split("\\.")) {
      key.append(String.format("%08d", Integer.parseInt(part.replaceAll("\\D.*", "0"))));
    }
    return key.toString();
  }

  /** Creates every CRD in k8s/crds and waits until each is Established. */
  private static void installCrds(KubernetesClient client) {
    Path dir = crdDir();
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files = list.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list CRDs in " + dir, e);
    }
    if (files.isEmpty()) {
      throw new IllegalStateException("no CRDs in " + dir);
    }
    List<String> names = new ArrayList<>();
    for (Path file : files) {
      try (InputStream in = Files.newInputStream(file)) {
        for (HasMetadata crd : client.load(in).items()) {
          client.resource(crd).fieldManager("bdk-tests").forceConflicts().serverSideApply();
          names.add(crd.getMetadata().getName());
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file, e);
      }
    }
    var crds = client.apiextensions().v1().customResourceDefinitions();
    await().atMost(CRD_ESTABLISHED).until(() -> names.stream().allMatch(n -> established(crds.withName(n).get())));
  }

  private static boolean established(CustomResourceDefinition crd) {
    return crd != null && crd.getStatus() != null && crd.getStatus().getConditions() != null
        && crd.getStatus().getConditions().stream()
            .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static Path crdDir() {
    String configured = System.getProperty("bdk.crd.dir");
    Path dir = configured != null ? Path.of(configured) : Path.of("..", "k8s", "crds");
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException("CRD directory " + dir.toAbsolutePath() + " not found (set -Dbdk.crd.dir)");
    }
    return dir;
  }
}

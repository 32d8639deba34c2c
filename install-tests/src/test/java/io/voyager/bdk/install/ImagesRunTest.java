package io.voyager.bdk.install;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamedAuthInfoBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.voyager.bdk.nats.NatsServerProcess;
import io.voyager.bdk.support.tls.CertificateAuthority;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The images, run. Each tarball goes to a registry on 127.0.0.1 the way docs/install.md pushes it
 * (skopeo copy --preserve-digests; the registry's digest must be the one make images pins), podman
 * pulls it back by that digest and starts it as Kubernetes would with k8s/deploy: the Deployment's
 * args and env, the image's own non-root user, a read-only root filesystem with only /tmp writable,
 * no capabilities. Each service talks to the real kube-apiserver as its own ServiceAccount under its
 * deployed RBAC and must reach /readyz; SIGTERM must stop it cleanly. The Python book runtime gets
 * the controller's environment and credentials mount, answers /health and a webhook, and drains.
 *
 * <p>Opt-in: runs when this build made the images and {@code -Dbdk.images.run=true} ({@code make
 * test} sets it). Needs root, podman, runc, skopeo and docker-registry (.ci/run installs them).
 */
@ExtendWith(RealApiServer.class)
class ImagesRunTest {
  static final Duration READY = Duration.ofMinutes(3);
  static final ObjectMapper JSON = new ObjectMapper();
  static final Set<String> CLUSTER_KINDS =
      Set.of("Namespace", "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding");
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir static Path dir;
  static RealApiServer.Cluster cluster;
  static LocalRegistry registry;
  static Podman podman;
  /** Module → the reference podman pulled (registry/name@digest). */
  static final Map<String, String> pulled = new LinkedHashMap<>();

  @BeforeAll
  static void pushAndPull(RealApiServer.Cluster running) throws IOException {
    assumeTrue(Project.imagesBuilt(), "images run when this build makes them: mvn -Pimages (make test)");
    assumeTrue(Boolean.getBoolean("bdk.images.run"), "opt-in: -Dbdk.images.run=true (make test sets it)");
    for (String tool : List.of("podman", "runc", "skopeo", "docker-registry")) {
      assertThat(Command.onPath(tool)).as(tool + " on PATH (apt-get install podman runc skopeo docker-registry; "
          + "or make test RUN_IMAGES=false)").isTrue();
    }
    assertThat(Command.run(Duration.ofSeconds(5), "id", "-u").ok().stdout().trim())
        .as("the image tests start containers as root (rootful podman), as CI does").isEqualTo("0");
    cluster = running;
    registry = LocalRegistry.start(Files.createDirectories(dir.resolve("registry")));
    podman = new Podman(dir.resolve("podman"));

    // What the services need in the cluster: the namespace, their ServiceAccounts and RBAC.
    StringBuilder rbac = new StringBuilder();
    List<HasMetadata> deploy = Manifests.readDir(Project.root().resolve("k8s/deploy"));
    for (HasMetadata item : deploy.stream().filter(i -> CLUSTER_KINDS.contains(i.getKind()))
        .sorted(Comparator.comparing(i -> !i.getKind().equals("Namespace"))).toList()) {
      rbac.append("---\n").append(Serialization.asYaml(item));
    }
    cluster.kubectl(Duration.ofMinutes(1), rbac.toString(), "apply", "--server-side", "-f", "-").ok();

    for (ImageModule module : ImageModule.all()) {
      String jibDigest = Files.readString(Project.imagesDir().resolve(module.name() + ".digest")).trim();
      String target = registry.host + "/" + module.repository() + "/" + module.name();
      Command.run(Podman.TIMEOUT, "skopeo", "copy", "--quiet", "--preserve-digests", "--dest-tls-verify=false",
          "oci-archive:" + module.tarball(), "docker://" + target + ":" + module.tag()).ok();
      String registryDigest = Command.run(Podman.TIMEOUT, "skopeo", "inspect", "--tls-verify=false",
          "--format", "{{.Digest}}", "docker://" + target + ":" + module.tag()).ok().stdout().trim();
      assertThat(registryDigest).as("the registry's digest of " + module.reference() + " is the one make images pins")
          .isEqualTo(jibDigest);
      String byDigest = target + "@" + jibDigest;
      podman.run("pull", "--quiet", "--tls-verify=false", byDigest).ok();
      pulled.put(module.artifactId(), byDigest);
    }
  }

  @AfterAll
  static void cleanUp() {
    if (podman != null) {
      podman.close();
    }
    if (registry != null) {
      registry.close();
    }
  }

  static Stream<ImageModule> services() {
    return ImageModule.all().stream().filter(ImageModule::java);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("services")
  void serviceRunsAsDeployedReadOnlyAndNonRootAndStopsCleanly(ImageModule module) throws Exception {
    Deployment deployment = Manifests.ofKind(Manifests.readDir(Project.root().resolve("k8s/deploy")), Deployment.class)
        .stream().filter(d -> d.getMetadata().getName().equals(module.artifactId())).findFirst().orElseThrow();
    var container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    String serviceAccount = deployment.getSpec().getTemplate().getSpec().getServiceAccountName();

    Map<String, String> env = new LinkedHashMap<>();
    for (EnvVar e : container.getEnv()) {
      env.put(e.getName(), e.getValue() != null ? e.getValue() : "image-test-" + module.artifactId()); // fieldRef: the pod name
    }
    List<String> args = new ArrayList<>();
    int adminPort = -1;
    NatsServerProcess nats = null;
    if (container.getArgs().stream().anyMatch(a -> a.startsWith("--nats-url="))) {
      // The relay and ext-authz need their NATS: one real nats-server here instead of the cluster's three.
      nats = NatsServerProcess.startEphemeral(Project.root(),
          Files.createDirectories(dir.resolve("nats-" + module.artifactId())));
    }
    for (String arg : container.getArgs()) {
      if (nats != null && arg.startsWith("--nats-url=")) {
        args.add("--nats-url=" + nats.url());
        continue;
      }
      if (nats != null && arg.startsWith("--stream-replicas=")) {
        args.add("--stream-replicas=1");
        continue;
      }
      if (nats != null && arg.startsWith("--state-replicas=")) {
        args.add("--state-replicas=1"); // ext-authz's replay/rate-limit buckets on the one server
        continue;
      }
      Matcher port = Pattern.compile("--(admin|grpc|xds|http)-port=\\d+").matcher(arg);
      if (port.matches()) {
        int free = LocalRegistry.freePort();
        adminPort = port.group(1).equals("admin") ? free : adminPort;
        arg = "--" + port.group(1) + "-port=" + free;
        args.add("--" + port.group(1) + "-host=127.0.0.1"); // host network: stay on loopback
      } else if (arg.matches("--(admin|grpc|xds|http)-host=.*")) {
        continue;
      }
      for (var e : env.entrySet()) {
        arg = arg.replace("$(" + e.getKey() + ")", e.getValue()); // what the kubelet expands
      }
      args.add(arg);
    }
    assertThat(adminPort).as("k8s/deploy gives " + module.artifactId() + " an --admin-port").isPositive();
    // The Kubernetes API as the pod would have it: its ServiceAccount's token, unless the pod mounts none.
    boolean kubernetesAccess = !Boolean.FALSE.equals(deployment.getSpec().getTemplate().getSpec().getAutomountServiceAccountToken());
    if (kubernetesAccess) {
      args.add("--kubeconfig=/etc/bdk/kubeconfig");
    }

    String name = module.artifactId();
    List<Object> run = new ArrayList<>(List.of("run", "--detach", "--name", name, "--network=host",
        "--read-only", "--read-only-tmpfs=false", "--tmpfs", "/tmp:rw,mode=1777,size=256m",
        "--cap-drop=all", "--security-opt=no-new-privileges",
        "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"));
    if (kubernetesAccess) {
      run.addAll(List.of("--volume", serviceAccountKubeconfig(serviceAccount) + ":/etc/bdk/kubeconfig:ro"));
    }
    // Each mounted Secret (the services' mutual-TLS certificates, which cert-manager writes in a
    // cluster) as the kubelet would mount it: tls.crt, tls.key, ca.crt of a real certificate.
    for (var volume : deployment.getSpec().getTemplate().getSpec().getVolumes()) {
      if (volume.getSecret() == null) {
        continue;
      }
      String mountPath = container.getVolumeMounts().stream().filter(m -> m.getName().equals(volume.getName()))
          .findFirst().orElseThrow().getMountPath();
      run.addAll(List.of("--volume", tlsSecretFiles(module.artifactId() + "-" + volume.getName()) + ":" + mountPath + ":ro"));
    }
    env.forEach((k, v) -> run.addAll(List.of("--env", k + "=" + v)));
    run.add(pulled.get(module.artifactId()));
    run.addAll(args);
    podman.run(run.toArray()).ok();
    try {
      String admin = "http://127.0.0.1:" + adminPort;
      await().atMost(READY).pollInterval(Duration.ofMillis(500)).until(() -> {
        assertThat(podman.run("inspect", "--format", "{{.State.Running}}", name).ok().stdout().trim())
            .as("container still running; logs:\n" + podman.logs(name)).isEqualTo("true");
        return status(admin + "/readyz") == 200;
      });
      assertThat(status(admin + "/healthz")).isEqualTo(200);
      assertThat(get(admin + "/metrics")).contains("# TYPE jvm_");

      long pid = podman.pid(name);
      assertThat(uid(pid)).as("the image's user, not root").isEqualTo(Long.parseLong(module.user().split(":")[0]));
      assertThat(rootMountOptions(pid)).as("root filesystem read-only").contains("ro");

      podman.run("stop", "--time", "30", name).ok();
      int exit = podman.exitCode(name);
      assertThat(exit).as("JVM exit on SIGTERM (143), not a kill (137): got " + exit + "; logs:\n" + podman.logs(name))
          .isEqualTo(143);
      String logs = podman.logs(name);
      assertThat(logs).contains("event=shutdown_requested").doesNotContain("event=start_failed")
          .doesNotContainIgnoringCase("read-only file system");
    } finally {
      podman.run("rm", "--force", "--time", "0", name);
      if (nats != null) {
        nats.close();
      }
    }
  }

  @Test
  void bookRuntimeServesHealthAndAWebhookWithTheControllersEnvironmentAndDrains() throws Exception {
    ImageModule book = ImageModule.all().stream().filter(ImageModule::python).findFirst().orElseThrow();
    // The credentials Secret as the controller mounts it: read-only, files 0440, group the book's (fsGroup).
    Path secrets = Files.createDirectories(dir.resolve("secrets"));
    Path key = Files.writeString(secrets.resolve("zendesk_api_key"), "zd-value-never-logged");
    int gid = Integer.parseInt(book.user().split(":")[1]);
    for (Path p : List.of(secrets, key)) {
      Files.setAttribute(p, "unix:gid", gid);
    }
    Files.setPosixFilePermissions(secrets, PosixFilePermissions.fromString("r-xr-x---"));
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("r--r-----"));

    int port = LocalRegistry.freePort();
    Map<String, String> env = new LinkedHashMap<>();
    env.put("BOOK_TYPE", "support-desk");
    env.put("BOOK_VERSION", "1.0.0");
    env.put("BDK_DEPLOYMENT_TYPE", "primary");
    env.put("PORT", Integer.toString(port));
    env.put("SECRETS_DIR", "/secrets");
    env.put("CUSTOMER_ID", "acme-corp");
    env.put("LOG_LEVEL", "info");
    env.put("ENVIRONMENT", "production");
    env.put("BDK_INSTANCE", "support-desk-1");
    env.put("BDK_INSTANCE_ID", "0b5c1e8e-1111-4c55-9a3e-000000000001");
    env.put("BOOK_CUSTOM_SETTINGS", "{\"max_tickets_per_hour\":100}");
    env.put("BDK_SHUTDOWN_DRAIN_SECONDS", "1");

    String name = "book-runtime";
    List<Object> run = new ArrayList<>(List.of("run", "--detach", "--name", name, "--network=host",
        "--read-only", "--read-only-tmpfs=false", "--tmpfs", "/tmp:rw,mode=1777,size=64m",
        "--cap-drop=all", "--security-opt=no-new-privileges",
        "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
        "--volume", secrets + ":/secrets:ro"));
    env.forEach((k, v) -> run.addAll(List.of("--env", k + "=" + v)));
    run.add(pulled.get(book.artifactId()));
    podman.run(run.toArray()).ok();
    try {
      String base = "http://127.0.0.1:" + port;
      await().atMost(READY).pollInterval(Duration.ofMillis(300)).until(() -> {
        assertThat(podman.run("inspect", "--format", "{{.State.Running}}", name).ok().stdout().trim())
            .as("container still running; logs:\n" + podman.logs(name)).isEqualTo("true");
        return status(base + "/health") == 200;
      });
      assertThat(JSON.readTree(get(base + "/health")).get("status").asText()).isEqualTo("ok");

      byte[] body = "{\"ticket\":{\"id\":42,\"subject\":\"Printer on fire\"}}".getBytes(StandardCharsets.UTF_8);
      HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/webhooks/zendesk/7315012dd36d"))
          .header("content-type", "application/json")
          .header("x-bdk-webhook-id", "944d2671-image-test")
          .header("x-bdk-routed-to", "customer-acme/support-desk")
          .header("x-bdk-instance", "customer-acme/support-desk-1")
          .header("x-bdk-integration", "zendesk")
          .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(answer.statusCode()).isEqualTo(200);
      assertThat(answer.headers().firstValue("x-bdk-webhook-id")).hasValue("944d2671-image-test");
      JsonNode json = JSON.readTree(answer.body());
      assertThat(json.get("webhook_id").asText()).isEqualTo("944d2671-image-test");
      assertThat(json.get("processed").asBoolean()).isTrue();
      assertThat(json.get("routed_to").asText()).isEqualTo("customer-acme/support-desk");
      assertThat(json.get("processing_time_ms").isIntegralNumber()).isTrue();

      long pid = podman.pid(name);
      assertThat(uid(pid)).isEqualTo(Long.parseLong(book.user().split(":")[0]));
      assertThat(rootMountOptions(pid)).contains("ro");

      podman.run("stop", "--time", "30", name).ok();
      assertThat(podman.exitCode(name)).as("clean exit after draining; logs:\n" + podman.logs(name)).isZero();
      String logs = podman.logs(name);
      assertThat(logs).contains("event=book_ready", "event=webhook_acknowledged", "webhook_id=944d2671-image-test",
          "event=shutdown_requested", "event=book_stopped").doesNotContain("zd-value-never-logged", "Printer on fire");
    } finally {
      podman.run("rm", "--force", "--time", "0", name);
    }
  }

  /** A kubeconfig for ServiceAccount bdk/{@code serviceAccount} (a TokenRequest token), readable by the container. */
  private static Path serviceAccountKubeconfig(String serviceAccount) throws IOException {
    String token = cluster.kubectl(Duration.ofMinutes(1), null, "create", "token", serviceAccount, "-n", "bdk",
        "--duration=1h").ok().stdout().trim();
    var kubeconfig = Serialization.unmarshal(cluster.kubeconfigYaml(), io.fabric8.kubernetes.api.model.Config.class);
    String user = kubeconfig.getContexts().get(0).getContext().getUser();
    kubeconfig.setUsers(List.of(new NamedAuthInfoBuilder().withName(user).withNewUser().withToken(token).endUser().build()));
    // The container sees only this file: the CA goes inline, as in a kubeconfig one hands out.
    for (var named : kubeconfig.getClusters()) {
      var c = named.getCluster();
      if (c.getCertificateAuthority() != null) {
        c.setCertificateAuthorityData(Base64.getEncoder().encodeToString(Files.readAllBytes(Path.of(c.getCertificateAuthority()))));
        c.setCertificateAuthority(null);
      }
    }
    Path file = dir.resolve(serviceAccount + ".kubeconfig");
    Files.writeString(file, Serialization.asYaml(kubeconfig));
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    return file;
  }

  private static int status(String url) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static String get(String url) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  /** The real uid of a process, from the kernel. */
  private static long uid(long pid) throws IOException {
    return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
        .filter(l -> l.startsWith("Uid:")).map(l -> l.split("\\s+")[1]).map(Long::parseLong).findFirst().orElseThrow();
  }

  /** The mount options of the process's root filesystem ("/" in its mount namespace). */
  /**
   * A kubernetes.io/tls Secret's files for {@code name}: a certificate (server and client use) of a
   * throw-away CA, readable by the image's non-root user as fsGroup and mode 0440 make them in a pod.
   */
  private static Path tlsSecretFiles(String name) throws IOException {
    var ca = CertificateAuthority.create("image test CA", Duration.ofHours(1));
    Path files = ca.issue(name, List.of(name + ".bdk.svc", "localhost"), List.of("127.0.0.1"), List.of(),
        Set.of(CertificateAuthority.Usage.SERVER,
            CertificateAuthority.Usage.CLIENT), Duration.ofHours(1))
        .writeTo(dir.resolve("tls-" + name));
    Files.setPosixFilePermissions(files, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    try (var list = Files.list(files)) {
      for (Path file : list.toList()) {
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
      }
    }
    return files;
  }

  private static List<String> rootMountOptions(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "mountinfo"))) {
      String[] f = line.split(" ");
      if (f[4].equals("/")) {
        return List.of(f[5].split(","));
      }
    }
    throw new AssertionError("no root mount in /proc/" + pid + "/mountinfo");
  }
}

package io.voyager.bdk.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.readiness.Readiness;
import io.voyager.bdk.extauthz.scheme.Header;
import io.voyager.bdk.extauthz.scheme.Schemes;
import io.voyager.bdk.extauthz.scheme.SigningInput;
import io.voyager.bdk.model.WebhookAuthContext;
import io.voyager.bdk.model.WebhookDelivery;
import io.voyager.bdk.support.auth.DevIssuer;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The platform installed on the node the way an operator installs it, then used through its Envoy:
 * the CRDs of k8s/crds, the images {@code make images} (or {@code make test}) built imported into the
 * node's containerd (nothing pulled from a registry), the {@code dev} overlay applied with kubectl,
 * the TLS Secrets made by k8s/tls-secrets.sh, a JWKS ConfigMap of an issuer this test holds, every
 * Deployment and StatefulSet in {@code bdk} Ready as real pods. Then, over HTTPS to Envoy's
 * Service (its ClusterIP, reached from the host through kube-proxy): a book and an instance created
 * with bearer tokens, the book's pod started from the Python runtime image and Ready through its
 * probes under the restricted Pod Security Standard (enforced by the API server's admission), a
 * signed webhook delivered into it directly and one queued (202, then delivered by the webhook
 * relay through Envoy's internal mutual-TLS listener), another tenant's pod refused by the book's
 * NetworkPolicy while Envoy still reaches it, the instance's status and the cluster agreeing, and
 * the instance deleted with its objects. Books whose image cannot start (an image that is not
 * there, a process that exits) are {@code Failed} with the real kubelet's reason.
 *
 * <p>The platform is installed once for the class (the first test that needs it) and uninstalled
 * afterwards, also when a step failed, so a second run starts clean. Skipped with a message until
 * the images exist ({@code target/images/*.tar}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PlatformInstallTest {
  private static final Duration PLATFORM_READY = Duration.ofMinutes(10);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CUSTOMER = "customer-e2e";
  private static final String ORGANIZATION = "e2e";
  /** Another tenant: its own Organization and namespace. */
  private static final String OTHER_CUSTOMER = "customer-e2e-other";
  private static final String OTHER_ORGANIZATION = "e2e-other";
  /**
   * An image reference that is in no registry and cannot be pulled from anywhere ({@code .invalid}
   * never resolves): the book-controller maps runtime {@code python:3.99} to it for this suite.
   */
  private static final String ABSENT_IMAGE = "registry.invalid/bdk-e2e/book-runtime-absent:1";
  private static final String ABSENT_RUNTIME_VERSION = "3.99";
  private static final String INSTANCE_ID_LABEL = "bdk.voyager.io/instance-id";

  @TempDir
  Path tmp;

  private RealCluster cluster;
  private KubernetesClient client;
  private Path root;
  private boolean overlayApplied;
  /** The installed platform, once the first test that needs it made it (null before). */
  private Platform platform;
  private AssertionError installFailure;
  private TestNamespaces namespaces;

  private record Platform(Gateway gateway, String admin, String customer, String envoyIp) {}

  @BeforeAll
  void connect() {
    cluster = RealCluster.get();
    client = cluster.client();
    root = Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize();
    namespaces = new TestNamespaces(client);
  }

  @AfterAll
  void uninstall() {
    if (cluster == null) {
      return; // skipped: no cluster
    }
    try {
      namespaces.close();
    } finally {
      uninstallPlatform();
    }
  }

  private void uninstallPlatform() {
    if (overlayApplied) {
      // Books first, while the controller still runs (their finalizers), then the platform.
      cluster.kubectl("delete", "bookinstancedefinitions.bdk.voyager.io,organizations.bdk.voyager.io", "--all",
          "-A", "--ignore-not-found", "--wait=true", "--timeout=120s");
      cluster.kubectl("delete", "namespace", CUSTOMER, OTHER_CUSTOMER, "--ignore-not-found", "--wait=true",
          "--timeout=180s");
      cluster.kubectl("delete", "-k", root.resolve("k8s/overlays/dev").toString(),
          "--ignore-not-found", "--wait=true", "--timeout=180s");
    }
    cluster.kubectl("delete", "-f", root.resolve("k8s/crds").toString(), "--ignore-not-found",
        "--wait=true", "--timeout=120s");
  }

  @Test
  @Order(1)
  void crdsAreAcceptedByTheApiServerAndEstablished() throws IOException {
    List<String> names = applyCrds();

    assertThat(names).contains("bookdefinitions.bdk.voyager.io", "bookinstancedefinitions.bdk.voyager.io",
        "externalbookdefinitions.books.voyager.io", "organizations.bdk.voyager.io");
  }

  @Test
  @Order(2)
  void devInstallRunsABookInstanceAndDeliversSignedWebhooksDirectAndQueuedIntoItsPod() throws Exception {
    Platform p = platform();
    Gateway gateway = p.gateway();
    JsonNode book = gateway.ok("POST", "/api/v1/books", p.admin(), """
        {"name": "support-desk", "version": "1.0.0", "description": "cluster-e2e",
         "runtime": {"language": "python", "version": "3.11"},
         "integrations": [{"name": "zendesk", "type": "webhook"}, {"name": "github", "type": "webhook"}]}""");
    String bookId = book.get("book_id").asText();
    String zendeskSecret = "e2e-" + UUID.randomUUID();
    String githubSecret = "e2e-" + UUID.randomUUID();
    JsonNode created = gateway.ok("POST", "/api/v1/books/" + bookId + "/instances", p.customer(), """
        {"customer_namespace": "%s", "organization_id": "%s",
         "deployment": {"type": "primary", "replicas": 1},
         "credentials": [{"name": "zendesk-signing-secret", "value": "%s", "source": "manual"},
                         {"name": "github-signing-secret", "value": "%s", "source": "manual"}],
         "webhooks": [{"integration": "zendesk", "scheme": "zendesk", "credential": "zendesk-signing-secret"},
                      {"integration": "github", "scheme": "github", "credential": "github-signing-secret",
                       "delivery": "queued"}]}"""
        .formatted(CUSTOMER, ORGANIZATION, zendeskSecret, githubSecret));
    String instanceId = created.get("instance_id").asText();
    String instancePath = "/api/v1/books/" + bookId + "/instances/" + instanceId;
    assertThat(created.toString()).as("the signing secrets are never returned")
        .doesNotContain(zendeskSecret).doesNotContain(githubSecret);

    // 1. Ready: the library API says so once the pod passed its real probes and Envoy routes both webhooks.
    AtomicReference<JsonNode> ready = new AtomicReference<>();
    Awaitility.await("the instance Ready with its webhooks routed").atMost(Duration.ofMinutes(5))
        .pollInterval(Duration.ofSeconds(2))
        .until(() -> {
          JsonNode instance = gateway.ok("GET", instancePath, p.customer(), null);
          ready.set(instance);
          return "Ready".equals(instance.path("status").asText())
              && instance.path("webhooks").path(0).hasNonNull("path") && instance.path("webhooks").path(1).hasNonNull("path");
        });
    List<Deployment> bookDeployments = client.apps().deployments().inNamespace(CUSTOMER)
        .withLabel(INSTANCE_ID_LABEL, instanceId).list().getItems();
    assertThat(bookDeployments).hasSize(1);
    Deployment bookDeployment = bookDeployments.get(0);
    assertThat(ready.get().path("deployment_status").path("ready_replicas").asInt())
        .as("the library API and the Deployment agree").isEqualTo(bookDeployment.getStatus().getReadyReplicas()).isEqualTo(1);
    List<Pod> pods = client.pods().inNamespace(CUSTOMER).withLabel(INSTANCE_ID_LABEL, instanceId).list().getItems();
    assertThat(pods).hasSize(1).allSatisfy(pod -> {
      assertThat(Readiness.isPodReady(pod)).isTrue();
      assertThat(pod.getSpec().getContainers().get(0).getImage()).contains("voyager/book-runtime-python");
      assertThat(pod.getSpec().getContainers().get(0).getReadinessProbe()).isNotNull();
    });
    Pod bookPod = pods.get(0);
    String podName = bookPod.getMetadata().getName();

    // 2. The restricted Pod Security Standard, enforced by the API server's admission in the
    //    customer's namespace: the book's own pod template is admitted there, the same template
    //    made privileged is refused.
    assertRestrictedAdmission(bookDeployment);

    // 3. A signed webhook lands in the book's pod. The first delivery may meet ext-authz still
    //    opening its watch of the instance's credentials (a 503 from Envoy): retried, as senders do.
    String zendeskPath = webhookPath(ready.get(), "zendesk");
    String webhookId = deliverDirect(gateway, zendeskPath, zendeskSecret);
    Awaitility.await("the book pod logged the delivery").atMost(Duration.ofSeconds(30))
        .until(() -> podLog(podName).contains("webhook_id=" + webhookId));
    // A wrong signature never reaches it.
    byte[] body = "{\"ticket\":{\"id\":42,\"subject\":\"forged\"}}".getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> forged = gateway.webhook(zendeskPath, body,
        Schemes.byName("zendesk", Map.of()).sign(new SigningInput(body, "not-the-secret", Instant.now(), UUID.randomUUID().toString())));
    assertThat(forged.statusCode()).isEqualTo(401);

    // 4. Queued: 202 (x-bdk-queued: true) from the relay (stored in JetStream), then delivered into the
    //    pod once, by the relay through Envoy's internal listener (mutual TLS, port 8444).
    String envoyPodIp = client.pods().inNamespace("bdk").withLabel("app.kubernetes.io/name", "envoy").list().getItems()
        .stream().filter(Readiness::isPodReady).findFirst().orElseThrow().getStatus().getPodIP();
    long internal2xxBefore = EnvoyStats.read(envoyPodIp).internalDeliveries2xx();
    String queuedId = deliverQueued(gateway, webhookPath(ready.get(), "github"), githubSecret);
    Awaitility.await("the queued webhook delivered into the book pod").atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(2))
        .until(() -> podLog(podName).contains("webhook_id=" + queuedId));
    assertThat(podLog(podName).lines().filter(l -> l.contains("webhook_id=" + queuedId) && l.contains("webhook_handled")))
        .as("the book handled the queued webhook once, with 200").hasSize(1).allMatch(l -> l.contains("status=200"));
    String relayPod = client.pods().inNamespace("bdk").withLabel("app.kubernetes.io/name", "webhook-relay").list()
        .getItems().get(0).getMetadata().getName();
    Awaitility.await("the relay logged the delivery").atMost(Duration.ofSeconds(30))
        .until(() -> client.pods().inNamespace("bdk").withName(relayPod).getLog().lines()
            .anyMatch(l -> l.contains("event=webhook_delivered") && l.contains("webhook_id=" + queuedId) && l.contains("status=200")));
    EnvoyStats after = EnvoyStats.read(envoyPodIp);
    assertThat(after.internalDeliveries2xx()).as("Envoy's internal listener answered the relay's delivery")
        .isGreaterThan(internal2xxBefore);
    assertThat(after.internalTlsHandshakes()).as("over TLS on 8444").isPositive();
    assertThat(after.internalNoClientCertificate()).as("every connection to 8444 presented a client certificate").isZero();

    // 5. Another tenant's pod cannot reach the book's pod (its NetworkPolicy, enforced on the node);
    //    Envoy still can.
    assertOtherTenantRefusedWhileEnvoyDelivers(gateway, bookPod, zendeskPath, zendeskSecret);

    // 6. Deleting the instance removes its pods and objects.
    HttpResponse<String> deleted = gateway.send("DELETE", instancePath, p.customer(), null);
    assertThat(deleted.statusCode()).as(deleted.body()).isIn(200, 204);
    Awaitility.await("the instance's Deployment, Service and pods gone").atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(2))
        .until(() -> client.apps().deployments().inNamespace(CUSTOMER).withLabel(INSTANCE_ID_LABEL, instanceId).list().getItems().isEmpty()
            && client.pods().inNamespace(CUSTOMER).withLabel(INSTANCE_ID_LABEL, instanceId).list().getItems().isEmpty()
            && client.services().inNamespace(CUSTOMER).withLabel(INSTANCE_ID_LABEL, instanceId).list().getItems().isEmpty());
    assertThat(gateway.send("GET", instancePath, p.customer(), null).statusCode()).isEqualTo(404);
  }

  @Test
  @Order(3)
  void aBookWhoseImageIsNotThereIsFailedWithTheKubeletsReason() throws Exception {
    Platform p = platform();
    String bookId = p.gateway().ok("POST", "/api/v1/books", p.admin(), """
        {"name": "absent-image", "version": "1.0.0", "description": "cluster-e2e: its runtime's image is nowhere",
         "runtime": {"language": "python", "version": "%s"}}""".formatted(ABSENT_RUNTIME_VERSION)).get("book_id").asText();
    String instanceId = p.gateway().ok("POST", "/api/v1/books/" + bookId + "/instances", p.customer(), """
        {"customer_namespace": "%s", "organization_id": "%s", "deployment": {"type": "primary", "replicas": 1}}"""
        .formatted(CUSTOMER, ORGANIZATION)).get("instance_id").asText();

    JsonNode failed = awaitFailed(p, bookId, instanceId);
    JsonNode condition = condition(failed, "DeploymentReady");
    Pod pod = client.pods().inNamespace(CUSTOMER).withLabel(INSTANCE_ID_LABEL, instanceId).list().getItems().get(0);
    String kubeletReason = waitingReason(client.pods().resource(pod).get());
    assertThat(kubeletReason).as("the kubelet's reason").isIn("ErrImagePull", "ImagePullBackOff");
    assertThat(condition.path("reason").asText()).isIn("ErrImagePull", "ImagePullBackOff");
    assertThat(condition.path("message").asText()).startsWith("container book: ").contains(ABSENT_IMAGE);
    assertLibraryAgreesWithTheInstanceObject(p, bookId, instanceId);

    deleteInstance(p, bookId, instanceId);
  }

  @Test
  @Order(4)
  void aBookWhoseProcessExitsIsFailedWithTheKubeletsReason() throws Exception {
    Platform p = platform();
    String bookId = p.gateway().ok("POST", "/api/v1/books", p.admin(), """
        {"name": "exits-at-start", "version": "1.0.0", "description": "cluster-e2e: its runtime refuses its settings",
         "runtime": {"language": "python", "version": "3.11"}}""").get("book_id").asText();
    // The Python runtime refuses a LOG_LEVEL it does not know at start (exit status 1), which the
    // library passes through unchecked: the container exits each time the kubelet starts it.
    String instanceId = p.gateway().ok("POST", "/api/v1/books/" + bookId + "/instances", p.customer(), """
        {"customer_namespace": "%s", "organization_id": "%s", "deployment": {"type": "primary", "replicas": 1},
         "configuration": {"log_level": "chatty"}}""".formatted(CUSTOMER, ORGANIZATION)).get("instance_id").asText();

    JsonNode failed = awaitFailed(p, bookId, instanceId);
    JsonNode condition = condition(failed, "DeploymentReady");
    assertThat(condition.path("reason").asText()).isEqualTo("CrashLoopBackOff");
    assertThat(condition.path("message").asText()).startsWith("container book: CrashLoopBackOff");
    Pod pod = client.pods().resource(client.pods().inNamespace(CUSTOMER).withLabel(INSTANCE_ID_LABEL, instanceId)
        .list().getItems().get(0)).get();
    ContainerStatus book = pod.getStatus().getContainerStatuses().get(0);
    assertThat(book.getRestartCount()).as("the kubelet restarted it").isPositive();
    assertThat(book.getLastState().getTerminated()).as("it exited").isNotNull();
    assertThat(book.getLastState().getTerminated().getExitCode()).as("with a failure status").isNotZero();
    assertThat(client.pods().resource(pod).inContainer("book").terminated().getLog())
        .as("the runtime said why").contains("LOG_LEVEL");
    assertLibraryAgreesWithTheInstanceObject(p, bookId, instanceId);

    deleteInstance(p, bookId, instanceId);
  }

  /**
   * Installs the platform the first time a test needs it: CRDs, images, the dev overlay (the
   * book-controller also mapping runtime python:3.99 to an image that is nowhere), its Secrets and
   * JWKS, every platform pod Ready; two tenants (Organizations with a namespace each); Envoy serving
   * the library API. A failed install fails every later test with the same error.
   */
  private Platform platform() throws Exception {
    if (installFailure != null) {
      throw new AssertionError("the platform install failed earlier", installFailure);
    }
    if (platform == null) {
      try {
        platform = install();
      } catch (AssertionError | ConditionTimeoutException e) {
        installFailure = e instanceof AssertionError a ? a : new AssertionError(e.getMessage(), e);
        throw e;
      }
    }
    return platform;
  }

  private Platform install() throws Exception {
    Path images = Path.of(System.getProperty("bdk.images.dir", root.resolve("target/images").toString()));
    List<Path> tarballs;
    try (Stream<Path> files = Files.isDirectory(images) ? Files.list(images) : Stream.empty()) {
      tarballs = files.filter(f -> f.toString().endsWith(".tar")).sorted().toList();
    }
    Path overlay = root.resolve("k8s/overlays/dev");
    Assumptions.assumeTrue(!tarballs.isEmpty(),
        "cluster-e2e: platform install skipped: no images in " + images + " (make images, or make test)");

    // 1. Install: CRDs, images, the dev overlay, its Secrets and JWKS.
    applyCrds();
    for (Path tarball : tarballs) {
      cluster.importImage(tarball);
    }
    overlayApplied = true;
    cluster.kubectl("apply", "-k", overlay.toString());
    // Any --runtime-image replaces the controller's default map (python=voyager/book-runtime-python:3.11),
    // so the default is given too unless the overlay (the digests component) already maps python.
    List<String> controllerArgs = client.apps().deployments().inNamespace("bdk").withName("book-controller").get()
        .getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
    StringBuilder patch = new StringBuilder("[");
    if (controllerArgs.stream().noneMatch(a -> a.startsWith("--runtime-image=python="))) {
      patch.append("{\"op\":\"add\",\"path\":\"/spec/template/spec/containers/0/args/-\",")
          .append("\"value\":\"--runtime-image=python=voyager/book-runtime-python:3.11\"},");
    }
    patch.append("{\"op\":\"add\",\"path\":\"/spec/template/spec/containers/0/args/-\",")
        .append("\"value\":\"--runtime-image=python:" + ABSENT_RUNTIME_VERSION + "=" + ABSENT_IMAGE + "\"}]");
    cluster.kubectl("-n", "bdk", "patch", "deployment", "book-controller", "--type=json", "-p", patch.toString());
    String envoyIp = client.services().inNamespace("bdk").withName("envoy").get().getSpec().getClusterIP();
    Path tls = tmp.resolve("tls");
    cluster.script(root.resolve("k8s/tls-secrets.sh"), "--dir", tls.toString(), "--edge-host", envoyIp);
    DevIssuer issuer = DevIssuer.generate("bdk-dev", DevIssuer.LOCAL_AUDIENCE);
    client.configMaps().inNamespace("bdk").resource(new ConfigMapBuilder()
        .withNewMetadata().withName("bdk-jwks").withNamespace("bdk").endMetadata()
        .addToData("jwks.json", issuer.publicJwks()).build()).forceConflicts().serverSideApply();

    Awaitility.await("every Deployment and StatefulSet in bdk Ready").atMost(PLATFORM_READY)
        .pollInterval(Duration.ofSeconds(3))
        .until(() -> {
          List<Deployment> deployments = client.apps().deployments().inNamespace("bdk").list().getItems();
          List<StatefulSet> sets = client.apps().statefulSets().inNamespace("bdk").list().getItems();
          return !deployments.isEmpty() && deployments.stream().allMatch(Readiness::isDeploymentReady)
              && !sets.isEmpty() && sets.stream().allMatch(Readiness::isStatefulSetReady);
        });
    assertThat(client.apps().deployments().inNamespace("bdk").list().getItems())
        .extracting(d -> d.getMetadata().getName())
        .contains("xds-server", "library-service", "ext-authz", "book-controller", "envoy", "webhook-relay");
    List<String> platformImages = client.pods().inNamespace("bdk").list().getItems().stream()
        .flatMap(pod -> pod.getSpec().getContainers().stream()).map(c -> c.getImage()).distinct().toList();
    assertThat(platformImages).as("every platform pod runs an image this build made").allMatch(i -> i.startsWith("voyager/"));

    // 2. Two tenants: each an Organization with its namespace; the controller labels both restricted.
    organization(ORGANIZATION, CUSTOMER);
    organization(OTHER_ORGANIZATION, OTHER_CUSTOMER);

    // 3. Through Envoy: tokens from the issuer the install trusts.
    Gateway gateway = new Gateway(URI.create("https://" + envoyIp), tls.resolve("edge-ca.crt"));
    String admin = token(issuer, null, "platform-admin");
    String customer = token(issuer, ORGANIZATION, "org-admin");
    // Envoy is Ready when its admin listener is; its HTTPS listener and routes arrive over xDS
    // once the xds-server serves them (and the edge certificate is there).
    Awaitility.await("Envoy serves the library API over HTTPS").atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(2)).ignoreExceptionsInstanceOf(IOException.class)
        .until(() -> gateway.send("GET", "/api/v1/books", admin, null).statusCode() == 200);
    return new Platform(gateway, admin, customer, envoyIp);
  }

  private void organization(String name, String namespace) throws IOException {
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
        .serverSideApply();
    Path file = Files.writeString(tmp.resolve("organization-" + name + ".yaml"), """
        apiVersion: bdk.voyager.io/v1
        kind: Organization
        metadata: {name: %s, namespace: bdk}
        spec:
          organization_id: %s
          namespaces: [%s]
          quotas: {max_instances: 5, max_replicas_per_instance: 2, max_total_replicas: 4,
                   requests_cpu: "1", requests_memory: 2Gi, max_webhook_integrations: 5}
        """.formatted(name, name, namespace));
    cluster.kubectl("apply", "-f", file.toString());
    Awaitility.await("namespace " + namespace + " enforces the restricted standard").atMost(Duration.ofMinutes(2))
        .until(() -> "restricted".equals(client.namespaces().withName(namespace).get().getMetadata().getLabels()
            .get("pod-security.kubernetes.io/enforce")));
  }

  /**
   * The API server's PodSecurity admission enforces the restricted standard in the customer's
   * namespace: the controller's pod template passes a server-side dry run as a Pod, and the same
   * template with a root container that may escalate and adds a capability is refused naming the
   * standard (not {@code privileged}: this API server refuses that before admission, with
   * {@code --allow-privileged=false}, its default).
   */
  private void assertRestrictedAdmission(Deployment bookDeployment) {
    assertThat(client.namespaces().withName(CUSTOMER).get().getMetadata().getLabels())
        .containsEntry("pod-security.kubernetes.io/enforce", "restricted");
    Pod asPod = new PodBuilder()
        .withNewMetadata().withNamespace(CUSTOMER).withGenerateName("pss-probe-")
            .withLabels(Map.of("bdk.e2e/pss-probe", "true")).endMetadata()
        .withSpec(bookDeployment.getSpec().getTemplate().getSpec()).build();
    assertThat(client.pods().inNamespace(CUSTOMER).resource(asPod).dryRun().create())
        .as("the book's pod template is admitted under the restricted standard").isNotNull();

    Pod privileged = new PodBuilder(asPod).editSpec().editFirstContainer()
        .withNewSecurityContext().withAllowPrivilegeEscalation(true).withRunAsUser(0L).withRunAsNonRoot(false)
            .withNewCapabilities().addToAdd("NET_RAW").endCapabilities().endSecurityContext()
        .endContainer().endSpec().build();
    assertThatThrownBy(() -> client.pods().inNamespace(CUSTOMER).resource(privileged).dryRun().create())
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> {
          KubernetesClientException refusal = (KubernetesClientException) e;
          assertThat(refusal.getCode()).as(refusal.getMessage()).isEqualTo(403);
          assertThat(refusal.getMessage()).contains("violates PodSecurity \"restricted:")
              .contains("allowPrivilegeEscalation").contains("NET_RAW").contains("runAsNonRoot");
        });
  }

  /**
   * A pod in the other tenant's namespace cannot reach the book's pod, and that is the book's
   * NetworkPolicy (enforced by kube-router on the node), not the pod's own namespace: the tenant's
   * namespace denies egress by default (its Organization's guardrails), so the test opens the
   * intruder's egress with a policy of its own and shows it reaching a server in a namespace
   * without policies first. A signed webhook through Envoy still reaches the book.
   */
  private void assertOtherTenantRefusedWhileEnvoyDelivers(Gateway gateway, Pod bookPod, String webhookPath, String secret)
      throws Exception {
    String open = namespaces.create("open", TestNamespaces.RESTRICTED);
    client.resource(Hello.pod(open, "neighbour", Map.of("app", "neighbour"))).create();
    client.resource(Hello.pod(OTHER_CUSTOMER, "intruder", Map.of("app", "intruder"))).create();
    client.resource(new NetworkPolicyBuilder()
        .withNewMetadata().withNamespace(OTHER_CUSTOMER).withName("intruder-egress-open").endMetadata()
        .withNewSpec().withNewPodSelector().addToMatchLabels("app", "intruder").endPodSelector()
            .withPolicyTypes("Egress").addNewEgress().endEgress()
        .endSpec().build()).create();
    String neighbourIp = cluster.awaitReadyPod(open, Map.of("app", "neighbour")).getStatus().getPodIP();
    cluster.awaitReadyPod(OTHER_CUSTOMER, Map.of("app", "intruder"));
    int bookPort = bookPod.getSpec().getContainers().get(0).getPorts().get(0).getContainerPort();
    String book = "http://" + bookPod.getStatus().getPodIP() + ":" + bookPort + "/health";
    String neighbour = "http://" + neighbourIp + ":" + Hello.PORT + "/";

    Awaitility.await("the other tenant's pod, its egress open, reaches a pod outside").atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> cluster.exec(OTHER_CUSTOMER, "intruder", "/hello", "get", neighbour).succeeded());
    for (int attempt = 0; attempt < 3; attempt++) {
      RealCluster.ExecResult intrusion = cluster.exec(OTHER_CUSTOMER, "intruder", "/hello", "get", book);
      assertThat(intrusion.succeeded()).as("another tenant's pod → the book's pod: %s", intrusion).isFalse();
    }
    deliverDirect(gateway, webhookPath, secret);
  }

  /** A signed zendesk webhook answered 200 by the book; 503s while ext-authz opens its watch are retried. Its webhook id. */
  private static String deliverDirect(Gateway gateway, String path, String secret) throws Exception {
    byte[] body = "{\"ticket\":{\"id\":42,\"subject\":\"cluster-e2e\"}}".getBytes(StandardCharsets.UTF_8);
    AtomicReference<HttpResponse<String>> delivered = new AtomicReference<>();
    Awaitility.await("a signed webhook answered by the book").atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(3))
        .until(() -> {
          HttpResponse<String> response = gateway.webhook(path, body,
              Schemes.byName("zendesk", Map.of()).sign(new SigningInput(body, secret, Instant.now(), UUID.randomUUID().toString())));
          delivered.set(response);
          assertThat(response.statusCode()).as(response.body()).isIn(200, 503);
          return response.statusCode() == 200;
        });
    JsonNode answer = JSON.readTree(delivered.get().body());
    assertThat(answer.path("processed").asBoolean()).isTrue();
    return answer.path("webhook_id").asText();
  }

  /** A signed github webhook for a queued binding: 202 with x-bdk-queued: true; 503s before it is stored are retried. Its webhook id. */
  private static String deliverQueued(Gateway gateway, String path, String secret) throws Exception {
    byte[] body = "{\"action\":\"opened\",\"issue\":{\"number\":7}}".getBytes(StandardCharsets.UTF_8);
    AtomicReference<HttpResponse<String>> accepted = new AtomicReference<>();
    Awaitility.await("a queued webhook accepted").atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(3))
        .until(() -> {
          HttpResponse<String> response = gateway.webhook(path, body,
              Schemes.byName("github", Map.of()).sign(new SigningInput(body, secret, Instant.now(), UUID.randomUUID().toString())));
          accepted.set(response);
          assertThat(response.statusCode()).as(response.body()).isIn(202, 503);
          return response.statusCode() == 202;
        });
    HttpResponse<String> answer = accepted.get();
    assertThat(answer.headers().firstValue(WebhookDelivery.HEADER_QUEUED)).as(answer.headers().toString()).contains("true");
    String webhookId = answer.headers().firstValue(WebhookAuthContext.HEADER_WEBHOOK_ID).orElse("");
    assertThat(webhookId).as(answer.headers().toString()).isNotBlank();
    return webhookId;
  }

  private static String webhookPath(JsonNode instance, String integration) {
    for (JsonNode w : instance.path("webhooks")) {
      if (integration.equals(w.path("integration").asText())) {
        return w.path("path").asText();
      }
    }
    throw new AssertionError("no webhook " + integration + " in " + instance);
  }

  private String podLog(String pod) {
    return client.pods().inNamespace(CUSTOMER).withName(pod).getLog();
  }

  private JsonNode awaitFailed(Platform p, String bookId, String instanceId) {
    String path = "/api/v1/books/" + bookId + "/instances/" + instanceId;
    AtomicReference<JsonNode> failed = new AtomicReference<>();
    Awaitility.await("instance " + instanceId + " Failed").atMost(Duration.ofMinutes(4))
        .pollInterval(Duration.ofSeconds(3))
        .until(() -> {
          failed.set(p.gateway().ok("GET", path, p.customer(), null));
          return "Failed".equals(failed.get().path("status").asText());
        });
    return failed.get();
  }

  private static JsonNode condition(JsonNode instance, String type) {
    for (JsonNode c : instance.path("conditions")) {
      if (type.equals(c.path("type").asText())) {
        return c;
      }
    }
    throw new AssertionError("no condition " + type + " in " + instance);
  }

  private static String waitingReason(Pod pod) {
    ContainerStatus status = pod.getStatus().getContainerStatuses().get(0);
    return status.getState().getWaiting() == null ? null : status.getState().getWaiting().getReason();
  }

  /** The library API's status and conditions are the BookInstanceDefinition's, read at the same time. */
  @SuppressWarnings("unchecked")
  private void assertLibraryAgreesWithTheInstanceObject(Platform p, String bookId, String instanceId) {
    String path = "/api/v1/books/" + bookId + "/instances/" + instanceId;
    Awaitility.await("the library API and the BookInstanceDefinition agree").atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofSeconds(2))
        .untilAsserted(() -> {
          GenericKubernetesResource object = client.genericKubernetesResources("bdk.voyager.io/v1", "BookInstanceDefinition")
              .inAnyNamespace().withLabel(INSTANCE_ID_LABEL, instanceId).list().getItems().get(0);
          JsonNode status = JSON.valueToTree(object.getAdditionalProperties().get("status"));
          JsonNode instance = p.gateway().ok("GET", path, p.customer(), null);
          assertThat(status.path("phase").asText()).isEqualTo("Failed").isEqualTo(instance.path("status").asText());
          JsonNode objectReady = condition(status, "DeploymentReady");
          JsonNode libraryReady = condition(instance, "DeploymentReady");
          for (String field : List.of("status", "reason", "message")) {
            assertThat(libraryReady.path(field).asText()).as(field).isEqualTo(objectReady.path(field).asText());
          }
        });
  }

  private void deleteInstance(Platform p, String bookId, String instanceId) throws Exception {
    HttpResponse<String> deleted = p.gateway().send("DELETE", "/api/v1/books/" + bookId + "/instances/" + instanceId,
        p.customer(), null);
    assertThat(deleted.statusCode()).as(deleted.body()).isIn(200, 204);
    Awaitility.await("the instance's Deployment and pods gone").atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(2))
        .until(() -> client.apps().deployments().inNamespace(CUSTOMER).withLabel(INSTANCE_ID_LABEL, instanceId).list().getItems().isEmpty()
            && client.pods().inNamespace(CUSTOMER).withLabel(INSTANCE_ID_LABEL, instanceId).list().getItems().isEmpty());
  }

  /**
   * Envoy's own counters, from its Prometheus endpoint (the readiness listener, port 19001, which
   * the host reaches by pod address), for the internal delivery listener: the HTTP connection
   * manager {@code bdk_internal} (xds-server's InternalListeners) and the TLS listener on 8444.
   */
  private record EnvoyStats(String text) {
    static EnvoyStats read(String podIp) throws Exception {
      HttpResponse<String> response = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://" + podIp + ":19001/stats/prometheus")).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      return new EnvoyStats(response.body());
    }

    long internalDeliveries2xx() {
      return sum("envoy_http_downstream_rq_xx", "envoy_http_conn_manager_prefix=\"bdk_internal\"", "envoy_response_code_class=\"2\"");
    }

    long internalTlsHandshakes() {
      return sum("envoy_listener_ssl_handshake", "_8444\"");
    }

    long internalNoClientCertificate() {
      return sum("envoy_listener_ssl_no_certificate", "_8444\"");
    }

    private long sum(String metric, String... labels) {
      return text.lines()
          .filter(l -> l.startsWith(metric + "{"))
          .filter(l -> Stream.of(labels).allMatch(l::contains))
          .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
          .sum();
    }
  }

  private static String token(DevIssuer issuer, String organization, String role) {
    return issuer.mint(new DevIssuer.TokenRequest("cluster-e2e-" + role, organization, List.of(role),
        Duration.ofMinutes(30), Instant.now()), DevIssuer.Algorithm.ES256);
  }

  /** HTTPS to Envoy's Service, trusting the edge CA k8s/tls-secrets.sh made. */
  private static final class Gateway {
    private final URI base;
    private final HttpClient http;

    Gateway(URI base, Path edgeCa) throws Exception {
      this.base = base;
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      try (InputStream in = Files.newInputStream(edgeCa)) {
        trust.setCertificateEntry("edge-ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      this.http = HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(10)).build();
    }

    HttpResponse<String> send(String method, String path, String token, String json) throws Exception {
      HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
          .header("authorization", "Bearer " + token)
          .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
      if (json != null) {
        request.header("content-type", "application/json");
      }
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * A 200 (201 for a create) with its JSON. A 503 for a connection Envoy could not open (the request never reached
     * the service, so sending it again is safe) is retried for up to a minute: right after pods
     * become Ready, the node's policy rules for their new addresses may lag a few seconds.
     */
    JsonNode ok(String method, String path, String token, String json) throws Exception {
      AtomicReference<HttpResponse<String>> last = new AtomicReference<>();
      Awaitility.await(method + " " + path + " reaching its service").atMost(Duration.ofMinutes(1))
          .pollInterval(Duration.ofSeconds(2))
          .until(() -> {
            last.set(send(method, path, token, json));
            return !(last.get().statusCode() == 503 && last.get().body().matches(
                "(?s).*reset reason: (connection timeout|remote connection failure|local connection failure|connection failure).*"));
          });
      HttpResponse<String> response = last.get();
      assertThat(response.statusCode()).as("%s %s: %s", method, path, response.body()).isIn(200, 201);
      return response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
    }

    HttpResponse<String> webhook(String path, byte[] body, List<Header> signature) throws Exception {
      HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
          .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
      signature.forEach(h -> request.header(h.name(), h.value()));
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
  }

  private List<String> applyCrds() throws IOException {
    cluster.kubectl("apply", "--server-side", "-f", root.resolve("k8s/crds").toString());
    List<String> names;
    try (Stream<Path> files = Files.list(root.resolve("k8s/crds"))) {
      names = files.filter(f -> f.toString().endsWith(".yaml"))
          .map(f -> f.getFileName().toString().replaceFirst("\\.yaml$", "")).sorted().toList();
    }
    for (String name : names) {
      Awaitility.await("CRD " + name + " Established").atMost(Duration.ofSeconds(60))
          .until(() -> established(client.apiextensions().v1().customResourceDefinitions().withName(name).get()));
    }
    return names;
  }

  private static boolean established(CustomResourceDefinition crd) {
    return crd != null && crd.getStatus() != null && crd.getStatus().getConditions().stream()
        .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
  }
}

package io.voyager.bdk.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.readiness.Readiness;
import io.voyager.bdk.extauthz.scheme.Header;
import io.voyager.bdk.extauthz.scheme.Schemes;
import io.voyager.bdk.extauthz.scheme.SigningInput;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The platform installed on the node the way an operator installs it, then used through its Envoy:
 * the CRDs of k8s/crds, the images {@code make images} (or {@code make test}) built imported into the
 * node's containerd (nothing pulled from a registry), the {@code dev} overlay applied with kubectl,
 * the TLS Secrets made by k8s/tls-secrets.sh, a JWKS ConfigMap of an issuer this test holds, every
 * Deployment and StatefulSet in {@code bdk} Ready as real pods. Then, over HTTPS to Envoy's
 * Service (its ClusterIP, reached from the host through kube-proxy): a book and an instance created
 * with bearer tokens, the book's pod started from the Python runtime image and Ready through its
 * probes under the restricted Pod Security Standard, a signed webhook delivered into it, the
 * instance's status and the cluster agreeing, and the instance deleted with its objects.
 *
 * <p>Skipped with a message until the images exist ({@code target/images/*.tar}). Everything is
 * uninstalled afterwards, also when a step failed, so a second run starts clean.
 */
class PlatformInstallTest {
  private static final Duration PLATFORM_READY = Duration.ofMinutes(10);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CUSTOMER = "customer-e2e";
  private static final String ORGANIZATION = "e2e";

  @TempDir
  Path tmp;

  private RealCluster cluster;
  private KubernetesClient client;
  private Path root;
  private boolean overlayApplied;

  @BeforeEach
  void connect() {
    cluster = RealCluster.get();
    client = cluster.client();
    root = Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize();
  }

  @AfterEach
  void uninstall() {
    if (cluster == null) {
      return; // skipped: no cluster
    }
    if (overlayApplied) {
      // Books first, while the controller still runs (their finalizers), then the platform.
      cluster.kubectl("delete", "bookinstancedefinitions.bdk.voyager.io,organizations.bdk.voyager.io", "--all",
          "-A", "--ignore-not-found", "--wait=true", "--timeout=120s");
      cluster.kubectl("delete", "namespace", CUSTOMER, "--ignore-not-found", "--wait=true", "--timeout=180s");
      cluster.kubectl("delete", "-k", root.resolve("k8s/overlays/dev").toString(),
          "--ignore-not-found", "--wait=true", "--timeout=180s");
    }
    cluster.kubectl("delete", "-f", root.resolve("k8s/crds").toString(), "--ignore-not-found",
        "--wait=true", "--timeout=120s");
  }

  @Test
  void crdsAreAcceptedByTheApiServerAndEstablished() throws IOException {
    List<String> names = applyCrds();

    assertThat(names).contains("bookdefinitions.bdk.voyager.io", "bookinstancedefinitions.bdk.voyager.io",
        "externalbookdefinitions.books.voyager.io", "organizations.bdk.voyager.io");
  }

  @Test
  void devInstallRunsABookInstanceAndDeliversASignedWebhookIntoItsPod() throws Exception {
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
        .flatMap(p -> p.getSpec().getContainers().stream()).map(c -> c.getImage()).distinct().toList();
    assertThat(platformImages).as("every platform pod runs an image this build made").allMatch(i -> i.startsWith("voyager/"));

    // 2. The customer's namespace, given to an Organization: the controller labels it restricted.
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(CUSTOMER).endMetadata().build())
        .serverSideApply();
    Path organization = Files.writeString(tmp.resolve("organization.yaml"), """
        apiVersion: bdk.voyager.io/v1
        kind: Organization
        metadata: {name: %s, namespace: bdk}
        spec:
          organization_id: %s
          namespaces: [%s]
          quotas: {max_instances: 5, max_replicas_per_instance: 2, max_total_replicas: 4,
                   requests_cpu: "1", requests_memory: 2Gi, max_webhook_integrations: 5}
        """.formatted(ORGANIZATION, ORGANIZATION, CUSTOMER));
    cluster.kubectl("apply", "-f", organization.toString());
    Awaitility.await("namespace " + CUSTOMER + " enforces the restricted standard").atMost(Duration.ofMinutes(2))
        .until(() -> "restricted".equals(client.namespaces().withName(CUSTOMER).get().getMetadata().getLabels()
            .get("pod-security.kubernetes.io/enforce")));

    // 3. Through Envoy: tokens from the issuer the install trusts, a book, an instance.
    Gateway gateway = new Gateway(URI.create("https://" + envoyIp), tls.resolve("edge-ca.crt"));
    String admin = token(issuer, null, "platform-admin");
    String customer = token(issuer, ORGANIZATION, "org-admin");
    // Envoy is Ready when its admin listener is; its HTTPS listener and routes arrive over xDS
    // once the xds-server serves them (and the edge certificate is there).
    Awaitility.await("Envoy serves the library API over HTTPS").atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(2)).ignoreExceptionsInstanceOf(IOException.class)
        .until(() -> gateway.send("GET", "/api/v1/books", admin, null).statusCode() == 200);
    JsonNode book = gateway.ok("POST", "/api/v1/books", admin, """
        {"name": "support-desk", "version": "1.0.0", "description": "cluster-e2e",
         "runtime": {"language": "python", "version": "3.11"},
         "integrations": [{"name": "zendesk", "type": "webhook"}]}""");
    String bookId = book.get("book_id").asText();
    String signingSecret = "e2e-" + UUID.randomUUID();
    JsonNode created = gateway.ok("POST", "/api/v1/books/" + bookId + "/instances", customer, """
        {"customer_namespace": "%s", "organization_id": "%s",
         "deployment": {"type": "primary", "replicas": 1},
         "credentials": [{"name": "zendesk-signing-secret", "value": "%s", "source": "manual"}],
         "webhooks": [{"integration": "zendesk", "scheme": "zendesk", "credential": "zendesk-signing-secret"}]}"""
        .formatted(CUSTOMER, ORGANIZATION, signingSecret));
    String instancePath = "/api/v1/books/" + bookId + "/instances/" + created.get("instance_id").asText();
    assertThat(created.toString()).as("the signing secret is never returned").doesNotContain(signingSecret);

    // 4. Ready: the library API says so once the pod passed its real probes and Envoy routes it.
    AtomicReference<JsonNode> ready = new AtomicReference<>();
    Awaitility.await("the instance Ready with its webhook routed").atMost(Duration.ofMinutes(5))
        .pollInterval(Duration.ofSeconds(2))
        .until(() -> {
          JsonNode instance = gateway.ok("GET", instancePath, customer, null);
          ready.set(instance);
          return "Ready".equals(instance.path("status").asText()) && instance.path("webhooks").path(0).hasNonNull("path");
        });
    List<Deployment> bookDeployments = client.apps().deployments().inNamespace(CUSTOMER).list().getItems();
    assertThat(bookDeployments).hasSize(1);
    Deployment bookDeployment = bookDeployments.get(0);
    assertThat(ready.get().path("deployment_status").path("ready_replicas").asInt())
        .as("the library API and the Deployment agree").isEqualTo(bookDeployment.getStatus().getReadyReplicas()).isEqualTo(1);
    List<Pod> pods = client.pods().inNamespace(CUSTOMER).list().getItems();
    assertThat(pods).hasSize(1).allSatisfy(p -> {
      assertThat(Readiness.isPodReady(p)).isTrue();
      assertThat(p.getSpec().getContainers().get(0).getImage()).contains("voyager/book-runtime-python");
      assertThat(p.getSpec().getContainers().get(0).getReadinessProbe()).isNotNull();
    });

    // 5. A signed webhook lands in the book's pod. The first delivery may meet ext-authz still
    //    opening its watch of the instance's credentials (a 503 from Envoy): retried, as senders do.
    String webhookPath = ready.get().path("webhooks").path(0).path("path").asText();
    byte[] body = "{\"ticket\":{\"id\":42,\"subject\":\"cluster-e2e\"}}".getBytes(StandardCharsets.UTF_8);
    AtomicReference<HttpResponse<String>> delivered = new AtomicReference<>();
    Awaitility.await("a signed webhook answered by the book").atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(3))
        .until(() -> {
          HttpResponse<String> response = gateway.webhook(webhookPath, body,
              Schemes.byName("zendesk", Map.of()).sign(new SigningInput(body, signingSecret, Instant.now(), UUID.randomUUID().toString())));
          delivered.set(response);
          assertThat(response.statusCode()).as(response.body()).isIn(200, 503);
          return response.statusCode() == 200;
        });
    JsonNode answer = JSON.readTree(delivered.get().body());
    assertThat(answer.path("processed").asBoolean()).isTrue();
    String webhookId = answer.path("webhook_id").asText();
    String podName = pods.get(0).getMetadata().getName();
    Awaitility.await("the book pod logged the delivery").atMost(Duration.ofSeconds(30))
        .until(() -> client.pods().inNamespace(CUSTOMER).withName(podName).getLog().contains("webhook_id=" + webhookId));
    // A wrong signature never reaches it.
    HttpResponse<String> forged = gateway.webhook(webhookPath, body,
        Schemes.byName("zendesk", Map.of()).sign(new SigningInput(body, "not-the-secret", Instant.now(), UUID.randomUUID().toString())));
    assertThat(forged.statusCode()).isEqualTo(401);

    // TODO(node-e2e): queued delivery through the webhook relay (nats2's internal listener) once it
    // is on main; a book whose image cannot start (missing image, exiting process) shown Failed with
    // the kubelet's reason, once lifecycle is on main; another tenant's pod cannot reach the book.

    // 6. Deleting the instance removes its pods and objects.
    HttpResponse<String> deleted = gateway.send("DELETE", instancePath, customer, null);
    assertThat(deleted.statusCode()).as(deleted.body()).isIn(200, 204);
    Awaitility.await("the instance's Deployment, Service and pods gone").atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(2))
        .until(() -> client.apps().deployments().inNamespace(CUSTOMER).list().getItems().isEmpty()
            && client.pods().inNamespace(CUSTOMER).list().getItems().isEmpty()
            && client.services().inNamespace(CUSTOMER).list().getItems().isEmpty());
    assertThat(gateway.send("GET", instancePath, customer, null).statusCode()).isEqualTo(404);
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

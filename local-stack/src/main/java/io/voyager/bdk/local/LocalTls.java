package io.voyager.bdk.local;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.voyager.bdk.model.WebhookDelivery;
import io.voyager.bdk.support.tls.CertificateAuthority;
import io.voyager.bdk.support.tls.CertificateAuthority.IssuedCertificate;
import io.voyager.bdk.support.tls.CertificateAuthority.Usage;
import io.voyager.bdk.support.tls.TlsFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local stack's certificates, made fresh at every start under {@code <run dir>/tls} (what
 * cert-manager does in a cluster; k8s/cert-manager):
 * <ul>
 *   <li>an edge CA ({@code tls/ca.crt}: what {@code curl --cacert} trusts) and a certificate for
 *       {@code localhost} and {@code 127.0.0.1}, published as the {@code kubernetes.io/tls} Secret
 *       {@code bdk/bdk-edge-tls} that the xds-server serves to Envoy over SDS;
 *   <li>an internal CA ({@code tls/internal/ca.crt}) and, each in its own directory in
 *       cert-manager's layout, the server certificates of the xds-server, ext-authz and the
 *       library-service (DNS {@code <service>.bdk.svc}, {@code localhost}, IP {@code 127.0.0.1}),
 *       Envoy's certificate (URI {@code spiffe://bdk/envoy/bdk-gateway} as a client; DNS
 *       {@value #ENVOY_INTERNAL_NAME}, {@code localhost}, IP {@code 127.0.0.1} as the server of its
 *       internal delivery listener), the webhook relay's (server and client: URI
 *       {@code spiffe://bdk/webhook-relay}, DNS {@value #RELAY_NAME}) and an operator's
 *       client certificate for grpcurl (URI {@code spiffe://bdk/operator/local}).
 * </ul>
 * Keys are written owner-only. The CA keys stay in the run directory so tests (and an operator)
 * can issue more, e.g. a renewed edge certificate.
 */
public final class LocalTls {
  private static final Logger log = LoggerFactory.getLogger(LocalTls.class);

  public static final String DIR = "tls";
  public static final String EDGE_SECRET_NAMESPACE = "bdk";
  public static final String EDGE_SECRET_NAME = "bdk-edge-tls";
  public static final String NODE_CLUSTER = "bdk-gateway";
  static final Duration VALIDITY = Duration.ofDays(30);

  /** Envoy's internal delivery listener's name (its Service {@code envoy-internal}), which the relay verifies. */
  public static final String ENVOY_INTERNAL_NAME = "envoy-internal.bdk.svc";
  /** The relay's DNS name (Service {@code webhook-relay}), which Envoy verifies. */
  public static final String RELAY_NAME = "webhook-relay.bdk.svc";

  /** The DNS names our services' certificates carry (and Envoy verifies): {@code <Service>.bdk.svc}. */
  public static final Map<Component, String> SERVICE_NAMES = Map.of(
      Component.XDS, "xds-server.bdk.svc",
      Component.EXT_AUTHZ, "ext-authz.bdk.svc",
      Component.LIBRARY, "book-library.bdk.svc");

  private final Path root;
  private final CertificateAuthority edgeCa;
  private final CertificateAuthority internalCa;
  private final IssuedCertificate edgeCertificate;

  private LocalTls(Path root, CertificateAuthority edgeCa, CertificateAuthority internalCa, IssuedCertificate edgeCertificate) {
    this.root = root;
    this.edgeCa = edgeCa;
    this.internalCa = internalCa;
    this.edgeCertificate = edgeCertificate;
  }

  /** New CAs and certificates in {@code runDir}/{@value #DIR} (replacing a previous run's). */
  public static LocalTls create(Path runDir) throws IOException {
    Path root = runDir.resolve(DIR).toAbsolutePath();
    Files.createDirectories(root);
    CertificateAuthority edgeCa = CertificateAuthority.create("BDK local edge CA", VALIDITY);
    edgeCa.writeTo(root);
    IssuedCertificate edge = issueEdge(edgeCa);
    edge.writeTo(root.resolve("edge"));
    CertificateAuthority internalCa = CertificateAuthority.create("BDK local internal CA", VALIDITY);
    Path internal = root.resolve("internal");
    internalCa.writeTo(internal);
    for (Map.Entry<Component, String> service : SERVICE_NAMES.entrySet()) {
      internalCa.issue(service.getValue(), List.of(service.getValue(), "localhost"), List.of("127.0.0.1"), List.of(),
          Set.of(Usage.SERVER), VALIDITY).writeTo(internal.resolve(service.getKey().displayName()));
    }
    // Envoy's internal certificate is its client identity (ADS, ext-authz, the library, the relay)
    // and the server certificate of its internal delivery listener, which the relay dials.
    internalCa.issue("envoy", List.of(ENVOY_INTERNAL_NAME, "localhost"), List.of("127.0.0.1"),
        List.of("spiffe://bdk/envoy/" + NODE_CLUSTER), Set.of(Usage.CLIENT, Usage.SERVER), VALIDITY)
        .writeTo(internal.resolve("envoy"));
    // The relay serves Envoy (queued webhooks) and is a client of Envoy's internal listener.
    internalCa.issue(RELAY_NAME, List.of(RELAY_NAME, "localhost"), List.of("127.0.0.1"),
        List.of(WebhookDelivery.RELAY_IDENTITY), Set.of(Usage.SERVER, Usage.CLIENT), VALIDITY)
        .writeTo(internal.resolve(Component.RELAY.displayName()));
    internalCa.issue("operator", List.of(), List.of(), List.of("spiffe://bdk/operator/local"), Set.of(Usage.CLIENT), VALIDITY)
        .writeTo(internal.resolve("operator"));
    log.info("event=local_tls_created dir={} edge_ca={} internal_ca={}", root, root.resolve("ca.crt"), internal.resolve("ca.crt"));
    return new LocalTls(root, edgeCa, internalCa, edge);
  }

  private static IssuedCertificate issueEdge(CertificateAuthority edgeCa) {
    return edgeCa.issue("localhost", List.of("localhost"), List.of("127.0.0.1", "::1"), List.of(), Set.of(Usage.SERVER), VALIDITY);
  }

  /** A new certificate for the edge from the same CA (a renewal). */
  public IssuedCertificate renewEdgeCertificate() {
    return issueEdge(edgeCa);
  }

  public Path root() {
    return root;
  }

  /** The CA clients trust for the HTTPS listener: {@code <run dir>/tls/ca.crt}. */
  public Path edgeCaFile() {
    return root.resolve("ca.crt");
  }

  public IssuedCertificate edgeCertificate() {
    return edgeCertificate;
  }

  public CertificateAuthority edgeCa() {
    return edgeCa;
  }

  public CertificateAuthority internalCa() {
    return internalCa;
  }

  public Path internalDir() {
    return root.resolve("internal");
  }

  public Path internalCaFile() {
    return internalDir().resolve("ca.crt");
  }

  /** A service's server certificate, key and the internal CA (its callers' CA). */
  public TlsFiles server(Component component) {
    if (!SERVICE_NAMES.containsKey(component) && component != Component.RELAY) {
      throw new IllegalArgumentException(component + " serves no TLS");
    }
    return TlsFiles.inDirectory(internalDir().resolve(component.displayName()));
  }

  /** Envoy's client certificate (node.cluster {@value #NODE_CLUSTER}) and the internal CA. */
  public TlsFiles envoy() {
    return TlsFiles.inDirectory(internalDir().resolve("envoy"));
  }

  /** An operator's client certificate (grpcurl, bdkctl) and the internal CA. */
  public TlsFiles operator() {
    return TlsFiles.inDirectory(internalDir().resolve("operator"));
  }

  /** The flags of a gRPC server of the stack: its certificate and key, callers from the internal CA. */
  public List<String> serverFlags(Component component) {
    TlsFiles files = server(component);
    return List.of("--tls-cert-file", files.certificate().toString(), "--tls-key-file", files.privateKey().toString(),
        "--tls-client-ca-file", files.trustedCa().toString());
  }

  /**
   * Writes Envoy's filesystem-SDS files into {@code sdsDir}: {@code internal-client.yaml} (its
   * client certificate) and {@code internal-ca.yaml} (the internal CA), each naming the
   * certificate files and watching their directory, so a renewed file is reloaded.
   */
  public Path writeEnvoySds(Path sdsDir) throws IOException {
    return writeEnvoySds(sdsDir, envoy());
  }

  public static Path writeEnvoySds(Path sdsDir, TlsFiles envoy) throws IOException {
    Files.createDirectories(sdsDir);
    String certDir = envoy.certificate().toAbsolutePath().getParent().toString();
    Files.writeString(sdsDir.resolve("internal-client.yaml"), """
        # Envoy's client certificate for ADS and for ext-authz and the library-service (filesystem SDS).
        resources:
          - "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret
            name: bdk-internal-client
            tls_certificate:
              certificate_chain: { filename: "%s" }
              private_key: { filename: "%s" }
              watched_directory: { path: "%s" }
        """.formatted(envoy.certificate().toAbsolutePath(), envoy.privateKey().toAbsolutePath(), certDir));
    Files.writeString(sdsDir.resolve("internal-ca.yaml"), """
        # The internal CA that the xds-server's, ext-authz's and the library-service's certificates chain to.
        resources:
          - "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret
            name: bdk-internal-ca
            validation_context:
              trusted_ca: { filename: "%s" }
              watched_directory: { path: "%s" }
        """.formatted(envoy.trustedCa().toAbsolutePath(), envoy.trustedCa().toAbsolutePath().getParent()));
    return sdsDir;
  }

  /** The {@code kubernetes.io/tls} Secret cert-manager would write for {@code certificate}. */
  public static Secret edgeSecret(IssuedCertificate certificate) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put("tls.crt", base64(certificate.certificatePem()));
    data.put("tls.key", base64(certificate.privateKeyPem()));
    data.put("ca.crt", base64(certificate.caPem()));
    return new SecretBuilder()
        .withNewMetadata()
          .withNamespace(EDGE_SECRET_NAMESPACE)
          .withName(EDGE_SECRET_NAME)
          .withLabels(Map.of(LocalIssuer.MANAGED_BY_LABEL, LocalIssuer.MANAGED_BY))
        .endMetadata()
        .withType("kubernetes.io/tls")
        .withData(data)
        .build();
  }

  /**
   * Publishes the edge certificate as Secret bdk/bdk-edge-tls: created when missing, replaced when
   * a previous local stack made it; a Secret of that name that is not the local stack's (a real
   * cluster's certificate) is left as it is. True when the stack's certificate is now there.
   */
  public boolean publishEdgeSecret(KubernetesClient client) {
    return publish(client, edgeSecret(edgeCertificate));
  }

  /** Creates or replaces (a local stack's) Secret bdk/bdk-edge-tls with {@code secret}. */
  public static boolean publish(KubernetesClient client, Secret secret) {
    Secret existing = client.secrets().inNamespace(EDGE_SECRET_NAMESPACE).withName(EDGE_SECRET_NAME).get();
    if (existing == null) {
      try {
        client.resource(secret).create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
        return publish(client, secret);
      }
    } else if (existing.getMetadata().getLabels() != null
        && LocalIssuer.MANAGED_BY.equals(existing.getMetadata().getLabels().get(LocalIssuer.MANAGED_BY_LABEL))) {
      existing.setData(secret.getData());
      client.resource(existing).update();
    } else {
      log.warn("event=local_edge_tls_not_published secret={}/{} reason=\"a Secret of that name exists and is not the local stack's\"",
          EDGE_SECRET_NAMESPACE, EDGE_SECRET_NAME);
      return false;
    }
    log.info("event=local_edge_tls_published secret={}/{}", EDGE_SECRET_NAMESPACE, EDGE_SECRET_NAME);
    return true;
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }
}

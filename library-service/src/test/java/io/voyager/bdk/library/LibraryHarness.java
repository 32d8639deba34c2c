package io.voyager.bdk.library;

import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.SecurityContext;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.voyager.bdk.library.v1.BookLibraryGrpc;
import io.voyager.bdk.library.v1.BookLibraryGrpc.BookLibraryBlockingStub;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.Organization;
import io.voyager.bdk.model.OrganizationSpec;
import io.voyager.bdk.support.auth.TestIssuer;
import io.voyager.bdk.support.auth.TokenVerifier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * One library replica served in-process on a Kubernetes client (the mock server), with token
 * verification on (real keys of a {@link TestIssuer}), and the callers tests act as. The one place
 * the library tests set this up.
 */
final class LibraryHarness implements AutoCloseable {
  /** The issuer every test's tokens come from (keys made once per run). */
  static final TestIssuer ISSUER = new TestIssuer();

  static final String ACME_NS = "customer-acme";
  static final String GLOBEX_NS = "customer-globex";

  /** Who calls: a token's subject, organization claim (null: none) and roles. */
  record Identity(String subject, String organization, String... roles) {
    String token() {
      TestIssuer.Token t = ISSUER.token(subject).roles(roles);
      return (organization == null ? t : t.organization(organization)).sign();
    }
  }

  static final Identity PLATFORM_ADMIN = new Identity("root@platform", null, "platform-admin");
  static final Identity ACME_ADMIN = new Identity("alice@acme", "acme", "org-admin");
  static final Identity ACME_VIEWER = new Identity("victor@acme", "acme", "org-viewer");
  static final Identity GLOBEX_ADMIN = new Identity("gina@globex", "globex", "org-admin");
  static final Identity GLOBEX_VIEWER = new Identity("gus@globex", "globex", "org-viewer");
  /** An org-admin whose organization no Organization names: books only. */
  static final Identity STRANGER_ADMIN = new Identity("sam@initech", "initech", "org-admin");
  /** Authenticated, no role. */
  static final Identity NOBODY = new Identity("nobody", "acme");

  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final LibraryBackend backend;
  private final Server server;
  private final ManagedChannel channel;

  LibraryHarness(KubernetesClient client) {
    this(client, LibraryBackend.Checkpoints.NONE);
  }

  LibraryHarness(KubernetesClient client, LibraryBackend.Checkpoints checkpoints) {
    this(client, checkpoints, new TokenVerifier(TestIssuer.settings(),
        new ImmutableJWKSet<SecurityContext>(ISSUER.publicJwks()), Clock.systemUTC()));
  }

  /** With another verifier (e.g. one whose keys cannot be had). */
  LibraryHarness(KubernetesClient client, LibraryBackend.Checkpoints checkpoints, TokenVerifier verifier) {
    backend = new LibraryBackend(client, BdkLabels.BDK_NAMESPACE, Clock.systemUTC(), Duration.ofSeconds(5), verifier,
        registry, checkpoints).start(Duration.ofSeconds(30));
    String name = InProcessServerBuilder.generateName();
    try {
      server = InProcessServerBuilder.forName(name).directExecutor().addService(backend.grpcService()).build().start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  /** The channel as {@code who}: every call carries its bearer token. */
  Channel channel(Identity who) {
    return withToken(who.token());
  }

  Channel withToken(String token) {
    return withAuthorization("Bearer " + token);
  }

  /** Calls with these {@code authorization} header values (none, one or several). */
  Channel withAuthorization(String... values) {
    Metadata headers = new Metadata();
    for (String v : values) {
      headers.put(AuthenticationInterceptor.AUTHORIZATION, v);
    }
    return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  /** Calls without any token. */
  Channel anonymous() {
    return channel;
  }

  BookLibraryBlockingStub as(Identity who) {
    return BookLibraryGrpc.newBlockingStub(channel(who));
  }

  /**
   * The test world's tenants: Organizations acme ({@code customer-acme}) and globex ({@code
   * customer-globex}) without quotas, and both namespaces.
   */
  static void tenants(KubernetesClient client) {
    organization(client, "acme", "acme", null, ACME_NS);
    organization(client, "globex", "globex", null, GLOBEX_NS);
  }

  /** The instances the API server holds and is not deleting (a direct list, not the library's cache). */
  static List<BookInstanceDefinition> liveInstances(KubernetesClient client) {
    return client.resources(BookInstanceDefinition.class).inNamespace(BdkLabels.BDK_NAMESPACE).list().getItems().stream()
        .filter(i -> i.getMetadata().getDeletionTimestamp() == null).toList();
  }

  /** The gRPC status code {@code call} ends with: OK when it returns. */
  static Status.Code code(Runnable call) {
    try {
      call.run();
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  /** Creates the Organization and its namespaces (when missing). */
  static Organization organization(KubernetesClient client, String name, String organizationId,
      OrganizationSpec.Quotas quotas, String... namespaces) {
    for (String ns : namespaces) {
      if (client.namespaces().withName(ns).get() == null) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
      }
    }
    Organization org = new Organization();
    org.getMetadata().setName(name);
    org.getMetadata().setNamespace(BdkLabels.BDK_NAMESPACE);
    org.setSpec(new OrganizationSpec(organizationId, null, List.of(namespaces), quotas));
    return client.resources(Organization.class).inNamespace(BdkLabels.BDK_NAMESPACE).resource(org).create();
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.shutdownNow();
    backend.close();
  }
}

package io.voyager.bdk.local;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.voyager.bdk.extauthz.scheme.Header;
import io.voyager.bdk.extauthz.scheme.Schemes;
import io.voyager.bdk.extauthz.scheme.SigningInput;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.ExternalBookDefinitionSpec;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.Authentication;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.ExternalIntegration;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.SecretRef;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.ServiceRef;
import io.voyager.bdk.model.Hmac;
import io.voyager.bdk.model.RateLimit;
import io.voyager.bdk.model.WebhookAuthContext;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.samplebook.SampleBook;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Customer webhook books in the stack's Kubernetes API, as a customer deployment makes them: a
 * Secret holding the signing secret(s), the book's Service + EndpointSlice pointing at a local
 * backend, and an ExternalBookDefinition whose webhook integrations name both. Signing uses
 * ext-authz's own schemes (what {@code bdkctl webhook sign} uses), never a second copy.
 */
final class WebhookBooks {
  static final String SECRET_KEY = "secret";
  static final String SERVICE_PORT_NAME = "http";

  /** A webhook book a test made: its namespace, name, integration, signing secret and backend. */
  record SignedBook(String namespace, String name, Integration integration, String secret, SampleBook backend) {
    String path() {
      return WebhookRoutes.publicPath(namespace, name, integration.name());
    }

    /** Envoy's cluster names for this book's Service start with this (as quoted in a config dump). */
    String clusterPrefix() {
      return "\"k8s/" + namespace + "/" + name + "/";
    }

    /** Posts a push event with a fresh delivery id, signed with the book's secret, through {@code gateway}. */
    GatewayClient.Answer postSigned(GatewayClient gateway) {
      String id = "id-" + java.util.UUID.randomUUID();
      String body = "{\"event\":\"push\",\"delivery\":\"" + id + "\"}";
      return gateway.post(path(), body, sign(integration, secret, body, id));
    }
  }

  private final LocalStack stack;

  WebhookBooks(LocalStack stack) {
    this.stack = stack;
  }

  /**
   * One webhook integration: its name, scheme, Secret (key {@link #SECRET_KEY}; named
   * {@code <instance>-credentials}, as ext-authz requires), limits, hmac options and body limit
   * (null: the gateway's).
   */
  record Integration(String name, String scheme, String secretName, RateLimit rateLimit, Hmac hmac, Integer maxBodyBytes,
      String delivery, Boolean ordered) {
    Integration(String name, String scheme, String secretName, RateLimit rateLimit, Hmac hmac) {
      this(name, scheme, secretName, rateLimit, hmac, null);
    }

    Integration(String name, String scheme, String secretName, RateLimit rateLimit, Hmac hmac, Integer maxBodyBytes) {
      this(name, scheme, secretName, rateLimit, hmac, maxBodyBytes, null, null);
    }

    /** A {@code delivery: queued} binding ({@code ordered} as given). */
    static Integration queued(String name, String scheme, String secretName, RateLimit rateLimit, boolean ordered) {
      return new Integration(name, scheme, secretName, rateLimit, null, null, "queued", ordered ? Boolean.TRUE : null);
    }

    ExternalIntegration toSpec() {
      return new ExternalIntegration(name, "webhook", null,
          new Authentication("signature", scheme, new SecretRef(secretName, SECRET_KEY), null, hmac), rateLimit, maxBodyBytes,
          delivery, ordered);
    }
  }

  /** Creates or replaces Secret {@code namespace/name} holding {@code secrets}, one per line (rotation). */
  void putSecret(String namespace, String name, List<String> secrets) {
    String lines = String.join("\n", secrets);
    Secret secret = new SecretBuilder()
        .withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
        .withData(Map.of(SECRET_KEY, Base64.getEncoder().encodeToString(lines.getBytes(StandardCharsets.UTF_8))))
        .build();
    stack.kubernetes().resource(secret).createOr(NonDeletingOperation::update);
  }

  /**
   * Publishes Service {@code namespace/name} at {@code 127.0.0.1:backendPort} and creates the
   * ExternalBookDefinition {@code namespace/name} (book type {@code bookType}) routing to it.
   */
  ExternalBookDefinition create(String namespace, String name, String bookType, int backendPort,
      List<Integration> integrations) {
    publishEndpoints(namespace, name, backendPort);
    return createWithoutEndpoints(namespace, name, bookType, backendPort, integrations);
  }

  /**
   * A book with one webhook, as most end-to-end tests set it up: {@code integration}'s credentials
   * Secret holding {@code secret} (created or replaced), then the book as {@link #create} makes it.
   */
  ExternalBookDefinition createWithSecret(String namespace, String name, String bookType, int backendPort,
      Integration integration, String secret) {
    putSecret(namespace, integration.secretName(), List.of(secret));
    return create(namespace, name, bookType, backendPort, List.of(integration));
  }

  /** Publishes Service {@code namespace/name}'s EndpointSlice: {@code 127.0.0.1:backendPort}, ready. */
  void publishEndpoints(String namespace, String name, int backendPort) {
    stack.endpoints().publish(namespace, name, SERVICE_PORT_NAME, LocalStack.LOCALHOST, backendPort);
  }

  /**
   * Creates the ExternalBookDefinition {@code namespace/name} routing to Service port
   * {@code backendPort} before its Service has any EndpointSlice (see {@link #publishEndpoints}).
   */
  ExternalBookDefinition createWithoutEndpoints(String namespace, String name, String bookType, int backendPort,
      List<Integration> integrations) {
    return stack.kubernetes().resource(definition(namespace, name, bookType, backendPort, integrations)).create();
  }

  /**
   * Replaces the spec of the ExternalBookDefinition {@code namespace/name} with these
   * {@code integrations} (a renamed integration moves the book's public path), as a customer's
   * {@code kubectl apply} of the changed book would.
   */
  ExternalBookDefinition replace(String namespace, String name, String bookType, int backendPort,
      List<Integration> integrations) {
    return stack.kubernetes().resource(definition(namespace, name, bookType, backendPort, integrations)).update();
  }

  private static ExternalBookDefinition definition(String namespace, String name, String bookType, int backendPort,
      List<Integration> integrations) {
    ExternalBookDefinition book = new ExternalBookDefinition();
    book.getMetadata().setNamespace(namespace);
    book.getMetadata().setName(name);
    book.setSpec(new ExternalBookDefinitionSpec(bookType, "1.0.0",
        integrations.stream().map(Integration::toSpec).toList(),
        null, null, null, new ServiceRef(name, backendPort), null));
    return book;
  }

  /** The hmac_* context keys of {@code hmac} (how ext-authz builds the generic scheme). */
  static Map<String, String> hmacKeys(Hmac hmac) {
    Map<String, String> keys = new LinkedHashMap<>();
    if (hmac != null) {
      putIfPresent(keys, WebhookAuthContext.HMAC_ALGORITHM, hmac.algorithm());
      putIfPresent(keys, WebhookAuthContext.HMAC_HEADER, hmac.header());
      putIfPresent(keys, WebhookAuthContext.HMAC_PREFIX, hmac.prefix());
      putIfPresent(keys, WebhookAuthContext.HMAC_ENCODING, hmac.encoding());
      putIfPresent(keys, WebhookAuthContext.HMAC_PAYLOAD, hmac.payload());
      putIfPresent(keys, WebhookAuthContext.HMAC_TIMESTAMP_HEADER, hmac.timestampHeader());
    }
    return keys;
  }

  /**
   * The headers a sender of {@code integration}'s scheme adds for {@code body} signed with
   * {@code secret} now (whole seconds), with delivery id {@code id} where the scheme sends one.
   */
  static Map<String, String> sign(Integration integration, String secret, String body, String id) {
    List<Header> headers = Schemes.byName(integration.scheme(), hmacKeys(integration.hmac()))
        .sign(new SigningInput(body.getBytes(StandardCharsets.UTF_8), secret,
            Instant.now().truncatedTo(ChronoUnit.SECONDS), id));
    Map<String, String> map = new LinkedHashMap<>();
    headers.forEach(h -> map.put(h.name(), h.value()));
    return map;
  }

  private static void putIfPresent(Map<String, String> keys, String key, String value) {
    if (value != null) {
      keys.put(key, value);
    }
  }
}

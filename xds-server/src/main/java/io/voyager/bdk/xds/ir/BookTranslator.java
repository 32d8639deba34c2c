package io.voyager.bdk.xds.ir;

import io.voyager.bdk.model.CredentialSecrets;
import io.voyager.bdk.model.CustomerNamespaces;
import io.voyager.bdk.model.DnsNames;
import io.voyager.bdk.model.ExternalBookDefinitionSpec;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.Authentication;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.ExternalIntegration;
import io.voyager.bdk.model.Hmac;
import io.voyager.bdk.model.RateLimit;
import io.voyager.bdk.model.SecretKeys;
import io.voyager.bdk.model.WebhookAuthContext;
import io.voyager.bdk.model.WebhookDelivery;
import io.voyager.bdk.model.WebhookLimits;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.xds.model.BookSource;
import io.voyager.bdk.xds.model.PortNumbers;
import io.voyager.bdk.xds.model.PortSelector;
import io.voyager.bdk.xds.model.ServiceRef;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One ExternalBookDefinition → its webhook routes (IR), or a rejection naming every bad field.
 * Pure: the same source always gives an equal result, so results can be cached per book.
 *
 * <p>Rules: the book must live in a customer namespace; every {@code externalIntegrations} entry of
 * {@code type: webhook} needs a name usable as a path segment, {@code authentication.secret_ref}
 * (name and key) and a known {@code authentication.scheme} (when absent, the integration's name is
 * used if it is a scheme, e.g. {@code zendesk}); the Secret must be an instance's credentials
 * Secret ({@link CredentialSecrets}); tolerance, rate limit and body limit must be within
 * {@link WebhookLimits} (the same rules ext-authz applies to the route, so nothing this routes is
 * refused there); {@code delivery} and {@code ordered} as {@link WebhookDelivery} allows (a queued
 * binding's route is marked so; {@link GatewayIrBuilder} names the relay it goes to).
 * The Service is {@code spec.service} (name, port) or, by default, the resource's own name, port 8080.
 */
public final class BookTranslator {
  private BookTranslator() {}

  public static final int DEFAULT_SERVICE_PORT = 8080;
  public static final Set<String> SCHEMES =
      Set.copyOf(WebhookAuthContext.SCHEMES);

  public static BookTranslation translate(BookSource book) {
    List<String> problems = new ArrayList<>();
    CustomerNamespaces.problem(book.namespace()).ifPresent(p -> problems.add("metadata.namespace: " + p));
    ExternalBookDefinitionSpec spec = book.spec();
    if (spec == null) {
      return new BookTranslation.Rejected(book.namespace(), book.name(), "spec: is required");
    }
    ServiceRef backend = backend(book, problems);
    String clusterName = backend == null ? null : BackendIr.clusterName(backend);

    List<WebhookRouteIr> routes = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    List<ExternalIntegration> integrations = spec.externalIntegrations() == null ? List.of() : spec.externalIntegrations();
    for (int i = 0; i < integrations.size(); i++) {
      ExternalIntegration integration = integrations.get(i);
      String field = "spec.externalIntegrations[" + i + "]";
      if (integration == null || !"webhook".equalsIgnoreCase(integration.type())) {
        continue;
      }
      int before = problems.size();
      String name = integration.name();
      Optional<String> nameProblem = DnsNames.labelProblem(name);
      if (nameProblem.isPresent()) {
        problems.add(field + ".name: " + nameProblem.get());
        continue;
      }
      if (!seen.add(name)) {
        problems.add(field + ".name: '" + name + "' is used by another webhook integration of this book");
        continue;
      }
      TreeMap<String, String> context = authContext(book, integration, field, problems);
      if (integration.maxBodyBytes() != null) {
        WebhookLimits.maxBodyBytesProblem(integration.maxBodyBytes())
            .ifPresent(p -> problems.add(field + ".max_body_bytes: " + p));
      }
      String delivery = WebhookDelivery.problem(field, integration.delivery(), integration.ordered());
      if (delivery != null) {
        problems.add(delivery);
      }
      QueuedRouteIr queued = null;
      if (WebhookDelivery.isQueued(integration.delivery())) {
        // The relay wakes a sleeping book for a queued webhook (and holds the message, not the
        // sender): ext-authz must not hold it, so the Lease goes to the relay in a header instead.
        queued = new QueuedRouteIr(WebhookDelivery.isOrdered(integration.ordered()), null,
            context.remove(WebhookAuthContext.WAKE_LEASE));
      }
      if (problems.size() == before && clusterName != null) {
        routes.add(
            new WebhookRouteIr(
                WebhookRoutes.publicPath(book.namespace(), book.name(), name),
                clusterName,
                new Provenance(Provenance.EXTERNAL_BOOK_DEFINITION, book.namespace(), book.name(), name),
                context,
                integration.maxBodyBytes(),
                queued));
      }
    }
    if (!problems.isEmpty()) {
      return new BookTranslation.Rejected(book.namespace(), book.name(), String.join("; ", problems));
    }
    routes.sort(Comparator.comparing(WebhookRouteIr::path));
    return new BookTranslation.Accepted(book.namespace(), book.name(), backend, routes);
  }

  private static ServiceRef backend(BookSource book, List<String> problems) {
    ExternalBookDefinitionSpec.ServiceRef service = book.spec().service();
    String name = service != null && service.name() != null ? service.name() : book.name();
    int port = service != null && service.port() != null ? service.port() : DEFAULT_SERVICE_PORT;
    Optional<String> nameProblem = DnsNames.labelProblem(name);
    if (nameProblem.isPresent()) {
      problems.add("spec.service.name: " + nameProblem.get() + " (a Service name)");
      return null;
    }
    if (!PortNumbers.isPort(port)) {
      problems.add("spec.service.port: " + port + " " + PortNumbers.NOT_A_PORT);
      return null;
    }
    return new ServiceRef(book.namespace(), name, PortSelector.numbered(port));
  }

  private static TreeMap<String, String> authContext(
      BookSource book, ExternalIntegration integration, String field, List<String> problems) {
    TreeMap<String, String> ctx = new TreeMap<>();
    Authentication auth = integration.authentication();
    if (auth == null) {
      problems.add(field + ".authentication: is required for a webhook");
      return ctx;
    }
    String scheme = auth.scheme() != null ? auth.scheme().toLowerCase(Locale.ROOT) : defaultScheme(integration.name());
    if (scheme == null) {
      problems.add(field + ".authentication.scheme: is required (one of " + new TreeSet<>(SCHEMES) + ")");
    } else if (!SCHEMES.contains(scheme)) {
      problems.add(field + ".authentication.scheme: '" + auth.scheme() + "' is not one of " + new TreeSet<>(SCHEMES));
    } else {
      ctx.put(WebhookAuthContext.SCHEME, scheme);
    }
    if (auth.secretRef() == null) {
      problems.add(field + ".authentication.secret_ref: is required for a webhook");
    } else {
      if (blank(auth.secretRef().name())) {
        problems.add(field + ".authentication.secret_ref.name: is required");
      } else if (!CredentialSecrets.isCredentialsSecretName(auth.secretRef().name())) {
        problems.add(field + ".authentication.secret_ref.name: '" + auth.secretRef().name()
            + "' must name an instance's credentials Secret: <instance>" + CredentialSecrets.SUFFIX);
      }
      SecretKeys.problem(auth.secretRef().key())
          .ifPresent(p -> problems.add(field + ".authentication.secret_ref.key: " + p));
      ctx.put(WebhookAuthContext.SECRET_NAMESPACE, book.namespace());
      putIfPresent(ctx, WebhookAuthContext.SECRET_NAME, auth.secretRef().name());
      putIfPresent(ctx, WebhookAuthContext.SECRET_KEY, auth.secretRef().key());
    }
    if (auth.toleranceSeconds() != null) {
      WebhookLimits.toleranceSecondsProblem(auth.toleranceSeconds())
          .ifPresent(p -> problems.add(field + ".authentication.tolerance_seconds: " + p));
      ctx.put(WebhookAuthContext.TOLERANCE_SECONDS, String.valueOf(auth.toleranceSeconds()));
    }
    RateLimit rate = integration.rateLimit();
    if (rate != null) {
      if (rate.requestsPerSecond() != null) {
        WebhookLimits.requestsPerSecondProblem(rate.requestsPerSecond())
            .ifPresent(p -> problems.add(field + ".rate_limit.requests_per_second: " + p));
        if (!rate.requestsPerSecond().isNaN() && !rate.requestsPerSecond().isInfinite()) {
          ctx.put(WebhookAuthContext.RATE_PER_SECOND, decimal(rate.requestsPerSecond()));
        }
      }
      if (rate.burst() != null) {
        WebhookLimits.burstProblem(rate.burst()).ifPresent(p -> problems.add(field + ".rate_limit.burst: " + p));
        ctx.put(WebhookAuthContext.BURST, String.valueOf(rate.burst()));
      }
    }
    Hmac hmac = auth.hmac();
    if (hmac != null) {
      Hmac.problems(hmac).forEach(p -> problems.add(field + ".authentication.hmac." + p.field() + ": " + p.message()));
      putIfPresent(ctx, WebhookAuthContext.HMAC_ALGORITHM, hmac.algorithm());
      putIfPresent(ctx, WebhookAuthContext.HMAC_HEADER, hmac.header());
      putIfPresent(ctx, WebhookAuthContext.HMAC_PREFIX, hmac.prefix());
      putIfPresent(ctx, WebhookAuthContext.HMAC_ENCODING, hmac.encoding());
      putIfPresent(ctx, WebhookAuthContext.HMAC_PAYLOAD, hmac.payload());
      putIfPresent(ctx, WebhookAuthContext.HMAC_TIMESTAMP_HEADER, hmac.timestampHeader());
    }
    String bookName = blank(book.spec().bookType()) ? book.name() : book.spec().bookType();
    ctx.put(WebhookAuthContext.ENDPOINT_KEY, WebhookRoutes.endpointKey(book.namespace(), book.name(), integration.name()));
    ctx.put(WebhookAuthContext.INSTANCE, book.namespace() + "/" + book.name());
    ctx.put(WebhookAuthContext.INTEGRATION, integration.name());
    ctx.put(WebhookAuthContext.ROUTED_TO, book.namespace() + "/" + bookName);
    var wake = book.spec().wake();
    if (wake != null) {
      if (blank(wake.lease()) || !DnsNames.isLabel(wake.lease())) {
        problems.add("spec.wake.lease: '" + wake.lease() + "' is not a Lease name (a DNS label)");
      } else {
        ctx.put(WebhookAuthContext.WAKE_LEASE, book.namespace() + "/" + wake.lease());
      }
    }
    return ctx;
  }

  private static String defaultScheme(String integrationName) {
    String n = integrationName.toLowerCase(Locale.ROOT);
    return SCHEMES.contains(n) ? n : null;
  }

  /** Plain decimal without exponent or trailing zeros: 10.0 → "10", 0.5 → "0.5". */
  private static String decimal(double value) {
    return new java.math.BigDecimal(Double.toString(value)).stripTrailingZeros().toPlainString();
  }

  private static void putIfPresent(TreeMap<String, String> ctx, String key, String value) {
    if (!blank(value)) {
      ctx.put(key, value);
    }
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}

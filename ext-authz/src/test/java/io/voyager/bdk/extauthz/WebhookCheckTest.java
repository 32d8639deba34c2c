package io.voyager.bdk.extauthz;

import static org.assertj.core.api.Assertions.assertThat;

import io.voyager.bdk.extauthz.ratelimit.RateLimiter;
import io.voyager.bdk.extauthz.replay.BoundedReplayStore;
import io.voyager.bdk.extauthz.replay.ReplayRelease;
import io.voyager.bdk.extauthz.scheme.DenyReason;
import io.voyager.bdk.extauthz.scheme.Header;
import io.voyager.bdk.extauthz.scheme.RequestHeaders;
import io.voyager.bdk.extauthz.scheme.Schemes;
import io.voyager.bdk.extauthz.scheme.SigningInput;
import io.voyager.bdk.extauthz.scheme.WebhookDenied;
import io.voyager.bdk.extauthz.secrets.SecretSource;
import io.voyager.bdk.model.WebhookAuthContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The whole decision for one request: context, secrets, signature, replay, rate limit, headers. */
class WebhookCheckTest {
  static final String SECRET = "whsec_c2VjcmV0LW9uZS1mb3ItdGVzdGluZy0xMjM0NTY=";
  static final byte[] BODY = "{\"hello\":\"world\"}".getBytes(StandardCharsets.UTF_8);

  final TestTime time = new TestTime(Instant.parse("2025-06-01T12:00:00Z"));
  final Map<String, List<String>> secrets = new HashMap<>(Map.of("customer-a/hooks-credentials[secret]", List.of(SECRET)));
  final List<String> secretReads = new ArrayList<>();
  final SecretSource source = ref -> {
    secretReads.add(ref.toString());
    List<String> s = secrets.get(ref.toString());
    if (s == null) {
      throw new WebhookDenied(DenyReason.SECRET_UNAVAILABLE, "Secret " + ref.namespace() + "/" + ref.name() + " does not exist");
    }
    return s;
  };
  final WebhookCheck check = new WebhookCheck(source,
      new BoundedReplayStore(BoundedReplayStore.Budget.standard(), time), new RateLimiter(1000, time), CheckDefaults.standard(), time);

  static Map<String, String> context(String scheme) {
    Map<String, String> ctx = new HashMap<>();
    ctx.put(WebhookAuthContext.SCHEME, scheme);
    ctx.put(WebhookAuthContext.SECRET_NAMESPACE, "customer-a");
    ctx.put(WebhookAuthContext.SECRET_NAME, "hooks-credentials");
    ctx.put(WebhookAuthContext.SECRET_KEY, "secret");
    ctx.put(WebhookAuthContext.ENDPOINT_KEY, "ep-" + scheme);
    ctx.put(WebhookAuthContext.INSTANCE, "customer-a/books");
    ctx.put(WebhookAuthContext.INTEGRATION, "zendesk");
    ctx.put(WebhookAuthContext.ROUTED_TO, "customer-a/books");
    ctx.put(WebhookAuthContext.HMAC_HEADER, "X-Signature");
    return ctx;
  }

  RequestHeaders signed(String scheme, String id) {
    return RequestHeaders.of(signedHeaders(scheme, id));
  }

  List<Header> signedHeaders(String scheme, String id) {
    return Schemes.byName(scheme, context(scheme)).sign(new SigningInput(BODY, SECRET, time.instant(), id));
  }

  @Test
  void allowedRequestsCarryTheRoutingHeadersAndTheWebhookId() {
    CheckOutcome outcome = check.check(context("standard"), signed("standard", "msg_1"), BODY);
    assertThat(outcome).isInstanceOfSatisfying(CheckOutcome.Allowed.class, ok -> {
      assertThat(ok.webhookId()).isEqualTo("msg_1");
      assertThat(ok.upstreamHeaders()).hasSize(5).startsWith(
          new Header("x-bdk-webhook-id", "msg_1"),
          new Header("x-bdk-routed-to", "customer-a/books"),
          new Header("x-bdk-instance", "customer-a/books"),
          new Header("x-bdk-integration", "zendesk"));
      // The delivery's replay digests, for Envoy to send back should the book fail it; never its keys.
      Header release = ok.upstreamHeaders().get(4);
      assertThat(release.name()).isEqualTo("x-bdk-replay-release");
      assertThat(release.value()).doesNotContain("msg_1");
      assertThat(ReplayRelease.parse(release.value()).digests()).isNotEmpty();
      assertThat(ok.responseHeaders()).contains(new Header("x-bdk-webhook-id", "msg_1"));
      assertThat(ok.responseHeaders()).extracting(Header::name).contains("RateLimit", "RateLimit-Policy");
    });
  }

  @Test
  void aSchemeWithoutDeliveryIdGetsAGeneratedOne() {
    CheckOutcome outcome = check.check(context("slack"), signed("slack", null), BODY);
    assertThat(outcome).isInstanceOfSatisfying(CheckOutcome.Allowed.class, ok -> assertThat(UUID.fromString(ok.webhookId())).isNotNull());
  }

  @ParameterizedTest
  @ValueSource(strings = {"github", "stripe", "slack", "shopify", "zendesk", "standard", "hmac"})
  void theSameDeliveryTwiceIsAReplay(String scheme) {
    RequestHeaders headers = signed(scheme, "evt-" + scheme);
    assertThat(check.check(context(scheme), headers, BODY)).isInstanceOf(CheckOutcome.Allowed.class);
    CheckOutcome second = check.check(context(scheme), headers, BODY);
    assertThat(second).isInstanceOfSatisfying(CheckOutcome.Denied.class, d -> {
      assertThat(d.reason()).isEqualTo(DenyReason.REPLAY);
      assertThat(d.reason().httpStatus()).isEqualTo(409);
    });
  }

  /**
   * A captured delivery replayed with its delivery-id header changed or removed, per scheme: where
   * the id is not signed the signature still identifies the delivery (409); where it is signed the
   * changed request no longer verifies (401).
   */
  @ParameterizedTest(name = "{0}: id header {1} changed → {2}, removed → {3}")
  @CsvSource({
      "github,   X-GitHub-Delivery,               409, 409",
      "shopify,  X-Shopify-Webhook-Id,            409, 409",
      "zendesk,  X-Zendesk-Webhook-Invocation-Id, 409, 409",
      "standard, webhook-id,                      401, 401"})
  void aCapturedDeliveryWithAChangedOrRemovedDeliveryIdIsStillRefused(String scheme, String idHeader, int changed, int removed) {
    List<Header> original = signedHeaders(scheme, "evt-original");
    assertThat(check.check(context(scheme), RequestHeaders.of(original), BODY)).isInstanceOf(CheckOutcome.Allowed.class);

    CheckOutcome withNewId = check.check(context(scheme), replaceHeader(original, idHeader, "evt-forged-" + UUID.randomUUID()), BODY);
    CheckOutcome withoutId = check.check(context(scheme), replaceHeader(original, idHeader, null), BODY);

    assertThat(((CheckOutcome.Denied) withNewId).reason().httpStatus()).isEqualTo(changed);
    assertThat(((CheckOutcome.Denied) withoutId).reason().httpStatus()).isEqualTo(removed);
  }

  @ParameterizedTest
  @ValueSource(strings = {"github", "hmac"})
  void aReplayWithTheSignatureHexInUpperCaseIsStillAReplay(String scheme) {
    List<Header> original = signedHeaders(scheme, "evt-hex");
    assertThat(check.check(context(scheme), RequestHeaders.of(original), BODY)).isInstanceOf(CheckOutcome.Allowed.class);
    String header = scheme.equals("github") ? "X-Hub-Signature-256" : "X-Signature";
    String value = RequestHeaders.of(original).single(header).orElseThrow();
    String upper = value.startsWith("sha256=") ? "sha256=" + value.substring(7).toUpperCase() : value.toUpperCase();

    CheckOutcome replay = check.check(context(scheme), replaceHeader(original, header, upper), BODY);

    assertThat(replay).isInstanceOfSatisfying(CheckOutcome.Denied.class, d -> assertThat(d.reason()).isEqualTo(DenyReason.REPLAY));
  }

  @Test
  void aProvidersRedeliveryOfTheSameIdWithAnotherBodyIsStillAReplay() {
    // GitHub's "Redeliver" sends the same X-GitHub-Delivery: the id key still catches it.
    assertThat(check.check(context("github"), signed("github", "evt-same"), BODY)).isInstanceOf(CheckOutcome.Allowed.class);
    byte[] other = "{\"hello\":\"again\"}".getBytes(StandardCharsets.UTF_8);
    RequestHeaders redelivery = RequestHeaders.of(Schemes.byName("github", Map.of())
        .sign(new SigningInput(other, SECRET, time.instant(), "evt-same")));
    assertDenied(check.check(context("github"), redelivery, other), DenyReason.REPLAY, "evt-same");
  }

  @Test
  void aReplayAfterTheWindowOfAnUntimestampedSchemeIsAcceptedAgain() {
    RequestHeaders headers = signed("github", "d-1");
    check.check(context("github"), headers, BODY);
    time.advance(Duration.ofSeconds(601));
    assertThat(check.check(context("github"), headers, BODY)).isInstanceOf(CheckOutcome.Allowed.class);
  }

  @Test
  void floodIsLimitedToTheBurstAnd429CarriesRetryAfter() {
    Map<String, String> ctx = limited("standard", 3);
    List<CheckOutcome> outcomes = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      outcomes.add(check.check(ctx, signed("standard", "msg_" + i), BODY));
    }
    assertThat(outcomes).filteredOn(o -> o instanceof CheckOutcome.Allowed).hasSize(3);
    CheckOutcome.Denied limited = (CheckOutcome.Denied) outcomes.get(3);
    assertThat(limited.reason()).isEqualTo(DenyReason.RATE_LIMITED);
    assertThat(limited.headers()).contains(new Header("Retry-After", "1"), new Header("RateLimit", "\"webhook\";r=0;t=3"));

    // A delivery refused for rate is not remembered: its retry later is accepted.
    time.advance(Duration.ofSeconds(1));
    assertThat(check.check(ctx, signed("standard", "msg_3"), BODY)).isInstanceOf(CheckOutcome.Allowed.class);
  }

  @Test
  void aReplayIsRefusedAndGivesBackTheTokenItsTakeGranted() {
    Map<String, String> ctx = limited("github", 3);
    RequestHeaders first = signed("github", "d-first");
    assertThat(check.check(ctx, first, BODY)).isInstanceOfSatisfying(CheckOutcome.Allowed.class,
        a -> assertThat(a.responseHeaders()).contains(new Header("RateLimit", "\"webhook\";r=2;t=1")));
    for (int i = 0; i < 5; i++) {
      assertDenied(check.check(ctx, first, BODY), DenyReason.REPLAY, "d-first");
    }
    // the bucket is where the one delivery left it: two more pass, then 429
    byte[] second = "{\"n\":2}".getBytes(StandardCharsets.UTF_8);
    byte[] third = "{\"n\":3}".getBytes(StandardCharsets.UTF_8);
    byte[] fourth = "{\"n\":4}".getBytes(StandardCharsets.UTF_8);
    assertThat(check.check(ctx, signedBody("github", "d-2", second), second)).isInstanceOfSatisfying(CheckOutcome.Allowed.class,
        a -> assertThat(a.responseHeaders()).contains(new Header("RateLimit", "\"webhook\";r=1;t=2")));
    assertThat(check.check(ctx, signedBody("github", "d-3", third), third)).isInstanceOf(CheckOutcome.Allowed.class);
    assertDenied(check.check(ctx, signedBody("github", "d-4", fourth), fourth), DenyReason.RATE_LIMITED, "rate limit");
  }

  @Test
  void aReplayWhileTheEndpointIsOverItsLimitIsRefused429AndStillRecordsNothing() {
    Map<String, String> ctx = limited("standard", 1);
    RequestHeaders delivered = signed("standard", "msg_delivered");
    assertThat(check.check(ctx, delivered, BODY)).isInstanceOf(CheckOutcome.Allowed.class);
    // the rate limit comes first: over the limit, the replay is refused for rate (refused either way)
    assertDenied(check.check(ctx, delivered, BODY), DenyReason.RATE_LIMITED, "rate limit");
    RequestHeaders refused = signed("standard", "msg_refused");
    assertDenied(check.check(ctx, refused, BODY), DenyReason.RATE_LIMITED, "rate limit");
    time.advance(Duration.ofSeconds(1));
    assertDenied(check.check(ctx, delivered, BODY), DenyReason.REPLAY, "msg_delivered");
    assertThat(check.check(ctx, refused, BODY)).as("the replay gave its token back; the 429 was not recorded")
        .isInstanceOf(CheckOutcome.Allowed.class);
  }

  /** A route of {@code scheme} refilling one token a second, up to {@code burst}. */
  static Map<String, String> limited(String scheme, int burst) {
    Map<String, String> ctx = context(scheme);
    ctx.put(WebhookAuthContext.RATE_PER_SECOND, "1");
    ctx.put(WebhookAuthContext.BURST, Integer.toString(burst));
    return ctx;
  }

  RequestHeaders signedBody(String scheme, String id, byte[] body) {
    return RequestHeaders.of(Schemes.byName(scheme, context(scheme)).sign(new SigningInput(body, SECRET, time.instant(), id)));
  }

  @Test
  void forgedRequestsDoNotDrainTheBucket() {
    Map<String, String> ctx = context("github");
    ctx.put(WebhookAuthContext.BURST, "2");
    RequestHeaders forged = RequestHeaders.of(List.of(new Header("X-Hub-Signature-256", "sha256=" + "00".repeat(32))));
    for (int i = 0; i < 10; i++) {
      assertThat(((CheckOutcome.Denied) check.check(ctx, forged, BODY)).reason()).isEqualTo(DenyReason.SIGNATURE_MISMATCH);
    }
    assertThat(check.check(ctx, signed("github", "d-1"), BODY)).isInstanceOf(CheckOutcome.Allowed.class);
  }

  @Test
  void missingContextKeysFailClosedNamingTheKey() {
    Map<String, String> ctx = context("github");
    ctx.remove(WebhookAuthContext.SECRET_NAME);
    assertDenied(check.check(ctx, signed("github", "d"), BODY), DenyReason.INVALID_ROUTE_CONFIG, "secret_name");
    assertDenied(check.check(Map.of(), signed("github", "d"), BODY), DenyReason.INVALID_ROUTE_CONFIG, "scheme");
    Map<String, String> badRate = context("github");
    badRate.put(WebhookAuthContext.RATE_PER_SECOND, "fast");
    assertDenied(check.check(badRate, signed("github", "d"), BODY), DenyReason.INVALID_ROUTE_CONFIG, "rate_per_second");
    Map<String, String> badScheme = context("gitlab");
    CheckOutcome outcome = check.check(badScheme, signed("github", "d"), BODY);
    assertDenied(outcome, DenyReason.INVALID_ROUTE_CONFIG, "gitlab");
    assertThat(outcome.scheme()).isEqualTo("unknown");
  }

  /** Item 3 of issue 8: only what the gateway could have sent; anything else is never read. */
  @ParameterizedTest(name = "{0}/{1}")
  @CsvSource({
      "kube-system,   hooks-credentials,  secret namespace 'kube-system'",
      "bdk,           ext-authz-token,    secret namespace 'bdk'",
      "default,       hooks-credentials,  secret namespace 'default'",
      "customer-a,    tailscale-state,    secret name 'tailscale-state'",
      "customer-a,    github-webhook,     secret name 'github-webhook'"})
  void aSecretReferenceOutsideTheCredentialSecretsIsRefusedAndNeverRead(String namespace, String name, String named) {
    secrets.put(namespace + "/" + name + "[secret]", List.of(SECRET));
    Map<String, String> forged = context("github");
    forged.put(WebhookAuthContext.SECRET_NAMESPACE, namespace);
    forged.put(WebhookAuthContext.SECRET_NAME, name);

    CheckOutcome outcome = check.check(forged, signed("github", "d-forged"), BODY);

    assertDenied(outcome, DenyReason.INVALID_ROUTE_CONFIG, named);
    assertThat(((CheckOutcome.Denied) outcome).reason().code()).isEqualTo("invalid_route_config");
    assertThat(secretReads).as("no Secret read").isEmpty();
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource({
      "tolerance_seconds, 7200,   from 1 to 3600",
      "tolerance_seconds, 0,      from 1 to 3600",
      "rate_per_second,   1000,   at most 100",
      "rate_per_second,   0,      above 0",
      "burst,             5000,   from 1 to 1000",
      "burst,             0,      from 1 to 1000"})
  void numbersBeyondTheCapsAreAnInvalidRouteNamingTheKey(String key, String value, String why) {
    Map<String, String> ctx = context("github");
    ctx.put(key, value);
    assertDenied(check.check(ctx, signed("github", "d-cap"), BODY), DenyReason.INVALID_ROUTE_CONFIG, key + " must be");
    assertDenied(check.check(ctx, signed("github", "d-cap"), BODY), DenyReason.INVALID_ROUTE_CONFIG, why);
    assertThat(secretReads).isEmpty();
  }

  @Test
  void missingSecretIsUnavailableAndNamesTheSecret() {
    Map<String, String> ctx = context("github");
    ctx.put(WebhookAuthContext.SECRET_NAME, "gone-credentials");
    assertDenied(check.check(ctx, signed("github", "d"), BODY), DenyReason.SECRET_UNAVAILABLE, "customer-a/gone-credentials");
  }

  @Test
  void rotatedSecretVerifiesWhileBothAreActive() {
    String next = "whsec_bmV4dC1zZWNyZXQtZm9yLXJvdGF0aW9uLXRlc3Q=";
    secrets.put("customer-a/hooks-credentials[secret]", List.of(SECRET, next));
    RequestHeaders withNext = RequestHeaders.of(Schemes.byName("standard", Map.of())
        .sign(new SigningInput(BODY, next, time.instant(), "msg_next")));
    assertThat(check.check(context("standard"), withNext, BODY)).isInstanceOf(CheckOutcome.Allowed.class);
  }

  @Test
  void senderSuppliedRoutingHeadersAreOverwrittenNotTrusted() {
    List<Header> headers = new ArrayList<>(Schemes.byName("github", Map.of()).sign(new SigningInput(BODY, SECRET, time.instant(), "d-9")));
    headers.add(new Header("x-bdk-routed-to", "customer-b/books"));
    CheckOutcome outcome = check.check(context("github"), RequestHeaders.of(headers), BODY);
    assertThat(outcome).isInstanceOfSatisfying(CheckOutcome.Allowed.class,
        ok -> assertThat(ok.upstreamHeaders()).contains(new Header("x-bdk-routed-to", "customer-a/books")));
  }

  /** The headers with {@code name} given {@code value} (null: removed). */
  static RequestHeaders replaceHeader(List<Header> headers, String name, String value) {
    List<Header> out = new ArrayList<>();
    for (Header h : headers) {
      if (!h.name().equalsIgnoreCase(name)) {
        out.add(h);
      }
    }
    if (value != null) {
      out.add(new Header(name, value));
    }
    return RequestHeaders.of(out);
  }

  static void assertDenied(CheckOutcome outcome, DenyReason reason, String messagePart) {
    assertThat(outcome).isInstanceOfSatisfying(CheckOutcome.Denied.class, d -> {
      assertThat(d.reason()).isEqualTo(reason);
      assertThat(d.message()).contains(messagePart);
    });
  }
}

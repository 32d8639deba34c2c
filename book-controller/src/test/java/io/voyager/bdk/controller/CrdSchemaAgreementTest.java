package io.voyager.bdk.controller;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.voyager.bdk.model.CustomerNamespaces;
import io.voyager.bdk.model.DnsNames;
import io.voyager.bdk.model.Hmac;
import io.voyager.bdk.model.Quantities;
import io.voyager.bdk.model.SecretKeys;
import io.voyager.bdk.model.WebhookDelivery;
import io.voyager.bdk.model.WebhookLimits;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CRD schemas in k8s/crds say what bdk-model's rules say: for every rule with a schema
 * counterpart (pattern, min/max), a table of values the model accepts and refuses is sent to the
 * real kube-apiserver with the CRDs installed (a server-side dry run of a create), and the API
 * server's verdict must be the model's. So what {@code kubectl apply} admits is what the library,
 * the controller, the xds-server and ext-authz accept.
 */
@ExtendWith(RealApiServer.class)
class CrdSchemaAgreementTest {
  static final String NS = "customer-schema-agreement";
  static final ObjectMapper JSON = new ObjectMapper();
  static KubernetesClient client;

  @BeforeAll
  static void namespace(KubernetesClient apiServer) {
    client = apiServer;
    Fixtures.namespace(client, NS);
  }

  /** A valid object of one kind, and where in it the rule's value goes. */
  record Target(String apiVersion, String kind, String json, String path) {
    GenericKubernetesResource with(Object value) {
      try {
        ObjectNode root = (ObjectNode) JSON.readTree(json);
        root.putObject("metadata").put("name", "agreement").put("namespace", NS);
        String[] parts = path.split("/");
        JsonNode node = root;
        for (int i = 0; i < parts.length - 1; i++) {
          node = parts[i].matches("\\d+") ? node.get(Integer.parseInt(parts[i])) : node.get(parts[i]);
        }
        ((ObjectNode) node).set(parts[parts.length - 1], JSON.valueToTree(value));
        return Serialization.unmarshal(JSON.writeValueAsString(root), GenericKubernetesResource.class);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }

  static final String BOOK = """
      {"apiVersion":"bdk.voyager.io/v1","kind":"BookDefinition","spec":{"name":"support","version":"1.0.0"}}""";
  static final String INSTANCE = """
      {"apiVersion":"bdk.voyager.io/v1","kind":"BookInstanceDefinition","spec":{"bookRef":{"name":"support"},
       "customer":{"namespace":"customer-a"},"deployment":{"resources":{}},"credentials":[{"name":"acme"}],
       "webhooks":[{"integration":"acme","scheme":"hmac","credential":"acme","hmac":{"header":"X-Sig"},"rate_limit":{}}]}}""";
  static final String ORGANIZATION = """
      {"apiVersion":"bdk.voyager.io/v1","kind":"Organization","spec":{"organization_id":"acme","quotas":{}}}""";
  static final String EXTERNAL = """
      {"apiVersion":"books.voyager.io/v1","kind":"ExternalBookDefinition","spec":{"service":{"name":"support"},
       "externalIntegrations":[{"name":"acme","type":"webhook","rate_limit":{},
         "authentication":{"type":"signature","scheme":"hmac","secret_ref":{"name":"x-credentials","key":"acme"},
           "hmac":{"header":"X-Sig"}}}]}}""";

  static Target organization(String path) {
    return new Target("bdk.voyager.io/v1", "Organization", ORGANIZATION, path);
  }

  static Target book(String path) {
    return new Target("bdk.voyager.io/v1", "BookDefinition", BOOK, path);
  }

  static Target instance(String path) {
    return new Target("bdk.voyager.io/v1", "BookInstanceDefinition", INSTANCE, path);
  }

  static Target external(String path) {
    return new Target("books.voyager.io/v1", "ExternalBookDefinition", EXTERNAL, path);
  }

  static Predicate<Object> hmacField(String field) {
    return v -> {
      String s = (String) v;
      Hmac h = new Hmac(field.equals("algorithm") ? s : null, null, null, field.equals("encoding") ? s : null,
          field.equals("payload") ? s : null, "X-Ts");
      return Hmac.problems(h).stream().noneMatch(p -> p.field().equals(field));
    };
  }

  static final String L63 = "a".repeat(63);
  static final List<Object> LABELS = List.of("a", "support-2", "0", L63, L63 + "a", "Support", "-a", "a-", "a_b", "a.b", "");
  static final List<Object> ALGORITHMS = List.of("sha1", "sha256", "sha512", "md5", "SHA256", "sha256 ", "");
  static final List<Object> ENCODINGS = List.of("hex", "base64", "base32", "HEX", "");
  static final List<Object> PAYLOADS = List.of("body", "timestamp.body", "timestampXbody", "headers", "");
  static final List<Object> TOLERANCES = List.of(-1, 0, 1, 300, 3600, 3601);
  static final List<Object> BODIES = List.of(0, 1023, 1024, 65536, 1048576, 1048577);
  static final List<Object> BURSTS = List.of(0, 1, 1000, 1001);
  static final List<Object> RATES = List.of(-1.0, 0.0, 0.1, 1, 100, 100.5);

  static Stream<Arguments> table() {
    List<Arguments> rows = new ArrayList<>();
    add(rows, "DNS label: BookDefinition spec.name", book("spec/name"), LABELS, v -> DnsNames.isLabel((String) v));
    add(rows, "DNS label: ExternalBookDefinition spec.service.name", external("spec/service/name"), LABELS,
        v -> DnsNames.isLabel((String) v));
    add(rows, "DNS label: ExternalBookDefinition spec.externalIntegrations[0].name", external("spec/externalIntegrations/0/name"),
        LABELS, v -> DnsNames.isLabel((String) v));
    List<Object> keys = List.of("acme", "zendesk_secret", "a.b-c_D9", "k".repeat(253), "k".repeat(254), "no/slash",
        "with space", "é", "");
    add(rows, "Secret key: BookInstanceDefinition spec.credentials[0].name", instance("spec/credentials/0/name"), keys,
        v -> SecretKeys.problem((String) v).isEmpty());
    add(rows, "Secret key: ExternalBookDefinition spec.externalIntegrations[0].authentication.secret_ref.key",
        external("spec/externalIntegrations/0/authentication/secret_ref/key"), keys,
        v -> SecretKeys.problem((String) v).isEmpty());
    List<Object> headers = List.of("X-Sig", "X-Hub-Signature-256", "x_sig.1", "a".repeat(256), "a".repeat(257), "X Sig",
        "X-Sig:", "é", "");
    for (var hmacOf : List.of(instance("spec/webhooks/0/hmac"), external("spec/externalIntegrations/0/authentication/hmac"))) {
      add(rows, "header name: " + hmacOf.kind() + " hmac.header", new Target(hmacOf.apiVersion(), hmacOf.kind(), hmacOf.json(),
          hmacOf.path() + "/header"), headers, v -> Hmac.problems(new Hmac(null, (String) v, null, null, null, null)).isEmpty());
    }
    String c54 = "customer-" + "a".repeat(54);
    add(rows, "customer namespace: BookInstanceDefinition spec.customer.namespace", instance("spec/customer/namespace"),
        List.of("customer-a", "customer-acme-2", c54, c54 + "a", "customer-", "customer--a", "customer-a-", "customer-A",
            "kube-system", "bdk", ""),
        v -> CustomerNamespaces.isCustomerNamespace((String) v));
    for (String field : List.of("algorithm", "encoding", "payload")) {
      List<Object> values = switch (field) {
        case "algorithm" -> ALGORITHMS;
        case "encoding" -> ENCODINGS;
        default -> PAYLOADS;
      };
      add(rows, "hmac." + field + ": ExternalBookDefinition", external("spec/externalIntegrations/0/authentication/hmac/" + field),
          values, hmacField(field));
      add(rows, "hmac." + field + ": BookInstanceDefinition", instance("spec/webhooks/0/hmac/" + field), values, hmacField(field));
    }
    add(rows, "tolerance_seconds: ExternalBookDefinition", external("spec/externalIntegrations/0/authentication/tolerance_seconds"),
        TOLERANCES, v -> WebhookLimits.toleranceSecondsProblem(((Number) v).longValue()).isEmpty());
    add(rows, "tolerance_seconds: BookInstanceDefinition", instance("spec/webhooks/0/tolerance_seconds"),
        TOLERANCES, v -> WebhookLimits.toleranceSecondsProblem(((Number) v).longValue()).isEmpty());
    add(rows, "max_body_bytes: ExternalBookDefinition", external("spec/externalIntegrations/0/max_body_bytes"),
        BODIES, v -> WebhookLimits.maxBodyBytesProblem(((Number) v).longValue()).isEmpty());
    add(rows, "max_body_bytes: BookInstanceDefinition", instance("spec/webhooks/0/max_body_bytes"),
        BODIES, v -> WebhookLimits.maxBodyBytesProblem(((Number) v).longValue()).isEmpty());
    add(rows, "rate_limit.burst: ExternalBookDefinition", external("spec/externalIntegrations/0/rate_limit/burst"),
        BURSTS, v -> WebhookLimits.burstProblem(((Number) v).longValue()).isEmpty());
    add(rows, "rate_limit.burst: BookInstanceDefinition", instance("spec/webhooks/0/rate_limit/burst"),
        BURSTS, v -> WebhookLimits.burstProblem(((Number) v).longValue()).isEmpty());
    add(rows, "rate_limit.requests_per_second: ExternalBookDefinition",
        external("spec/externalIntegrations/0/rate_limit/requests_per_second"),
        RATES, v -> WebhookLimits.requestsPerSecondProblem(((Number) v).doubleValue()).isEmpty());
    add(rows, "rate_limit.requests_per_second: BookInstanceDefinition", instance("spec/webhooks/0/rate_limit/requests_per_second"),
        RATES, v -> WebhookLimits.requestsPerSecondProblem(((Number) v).doubleValue()).isEmpty());
    List<Object> quantities = List.of("1", "500m", "0.5", ".5", "1Gi", "512Mi", "1e3", "1E", "+1", "0", "1k", "-1", "-0",
        "1.2.3", "1GB", "1 Gi", "Gi", "1e", "1Ki5", "", "abc", "1e-3", "2P");
    add(rows, "quantity: BookInstanceDefinition spec.deployment.resources.cpu",
        instance("spec/deployment/resources/cpu"), quantities, v -> Quantities.problem((String) v).isEmpty());
    add(rows, "quantity: Organization spec.quotas.requests_memory",
        organization("spec/quotas/requests_memory"), quantities, v -> Quantities.problem((String) v).isEmpty());
    add(rows, "delivery: BookInstanceDefinition", instance("spec/webhooks/0/delivery"), List.of("direct", "queued", "Queued", "later", ""),
        v -> WebhookDelivery.problem("w", (String) v, null) == null);
    return rows.stream();
  }

  static void add(List<Arguments> rows, String rule, Target target, List<Object> values, Predicate<Object> model) {
    for (Object value : values) {
      rows.add(Arguments.of(rule, value, target, model.test(value)));
    }
  }

  @ParameterizedTest(name = "{0} = ''{1}'' (model accepts: {3})")
  @MethodSource("table")
  void theApiServerAdmitsWhatTheModelAccepts(String rule, Object value, Target target, boolean modelAccepts) {
    GenericKubernetesResource object = target.with(value);
    String refusal = refusal(object);
    assertThat(refusal == null)
        .as("%s = '%s': the model %s it, the API server %s", rule, value, modelAccepts ? "accepts" : "refuses",
            refusal == null ? "admits it" : "refuses it: " + refusal)
        .isEqualTo(modelAccepts);
  }

  /** Why the API server refuses {@code object} (a dry-run create), or null when it admits it. */
  static String refusal(GenericKubernetesResource object) {
    try {
      client.genericKubernetesResources(object.getApiVersion(), object.getKind()).inNamespace(NS).resource(object).dryRun().create();
      return null;
    } catch (KubernetesClientException e) {
      assertThat(e.getCode()).as("a schema refusal is 422 Invalid: %s", e.getMessage()).isEqualTo(422);
      return e.getMessage();
    }
  }

}

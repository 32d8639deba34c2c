package io.voyager.bdk.xds.watch;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.voyager.bdk.model.Condition;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.ExternalBookDefinitionStatus;
import io.voyager.bdk.model.WebhookEndpoint;
import io.voyager.bdk.xds.ir.BookTranslation;
import io.voyager.bdk.xds.ir.WebhookRouteIr;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes what the gateway made of each ExternalBookDefinition into its status: {@code webhooks}
 * (integration name and public path) and a {@value #CONDITION} condition (True, or False naming
 * the bad fields, or False while the book is held out because Envoy refused its resources).
 * Patches (JSON Patch, status subresource) only when that differs from what the
 * object already says; other conditions are kept.
 */
public final class StatusWriter implements StatusWriteQueue.Writer {
  private static final Logger log = LoggerFactory.getLogger(StatusWriter.class);
  public static final String CONDITION = "WebhooksRouted";
  /** Reason of a False {@value #CONDITION} while Envoy's refusal holds the book out of the gateway. */
  public static final String HELD_OUT = "EnvoyRejected";
  private static final ObjectMapper json = new ObjectMapper();

  private final KubernetesClient client;

  /** What one {@link #write} did. */
  public enum Result {
    /** The status was patched. */
    WRITTEN,
    /** Nothing to write: the status already said so, or the book is gone. */
    UNCHANGED,
    /** The read or the patch failed; worth trying again. */
    FAILED
  }

  public StatusWriter(KubernetesClient client) {
    this.client = client;
  }

  /** Desired webhooks of a translation: sorted by integration name. */
  public static List<WebhookEndpoint> webhooks(BookTranslation translation) {
    List<WebhookEndpoint> result = new ArrayList<>();
    if (translation instanceof BookTranslation.Accepted a) {
      for (WebhookRouteIr r : a.routes()) {
        result.add(new WebhookEndpoint(r.source().integration(), r.path()));
      }
    }
    result.sort(Comparator.comparing(WebhookEndpoint::name));
    return result;
  }

  static Condition condition(BookTranslation translation, Long generation, String now) {
    if (translation instanceof BookTranslation.Rejected r) {
      return new Condition(CONDITION, "False", "InvalidWebhookIntegration", r.reason(), now, generation);
    }
    if (translation instanceof BookTranslation.HeldOut h) {
      return new Condition(CONDITION, "False", HELD_OUT, h.reason(), now, generation);
    }
    return new Condition(CONDITION, "True", "Routed", "webhook routes are served by the gateway", now, generation);
  }

  /**
   * Whether the book as last seen ({@code lookup}: the informer cache, null when gone) says
   * something other than {@code translation}: in memory only, no API call.
   */
  @Override
  public boolean mayNeedWrite(BookTranslation translation, BiFunction<String, String, ExternalBookDefinition> lookup) {
    ExternalBookDefinition cached = lookup.apply(translation.namespace(), translation.name());
    return cached != null && patchFor(cached, translation) != null;
  }

  /**
   * Patches the book's status if it differs from {@code translation}.
   * {@code lookup} gives the object as last seen (informer cache), or null when it is gone. The
   * cache only decides whether a write may be needed; the patch itself is computed from a fresh
   * read, so a condition another writer has just set (the NACK write-back's Accepted) is kept.
   */
  @Override
  public Result write(BookTranslation translation, BiFunction<String, String, ExternalBookDefinition> lookup) {
    if (!mayNeedWrite(translation, lookup)) {
      return Result.UNCHANGED;
    }
    ExternalBookDefinition fresh;
    try {
      fresh = client.resources(ExternalBookDefinition.class)
          .inNamespace(translation.namespace()).withName(translation.name()).get();
    } catch (KubernetesClientException e) {
      log.warn("event=status_read_failed book={}/{} code={}", translation.namespace(), translation.name(), e.getCode());
      return Result.FAILED;
    }
    ArrayNode patch = fresh == null ? null : patchFor(fresh, translation);
    if (patch == null) {
      return Result.UNCHANGED;
    }
    try {
      client.resources(ExternalBookDefinition.class)
          .inNamespace(translation.namespace())
          .withName(translation.name())
          .subresource("status")
          .patch(PatchContext.of(PatchType.JSON), patch.toString());
      log.info("event=status_written book={}/{} webhooks={} routed={}", translation.namespace(), translation.name(),
          webhooks(translation).size(), translation instanceof BookTranslation.Accepted);
      return Result.WRITTEN;
    } catch (KubernetesClientException e) {
      log.warn("event=status_write_failed book={}/{} code={} error=\"{}\"", translation.namespace(), translation.name(),
          e.getCode(), String.valueOf(e.getMessage()).replace('"', '\''));
      return Result.FAILED;
    }
  }

  /**
   * The JSON Patch that makes {@code current}'s status say what {@code translation} means, or null
   * if it already does. A JSON Patch, not a merge patch: it replaces both lists whole on every
   * server (the fabric8 mock's merge patch appends to arrays, so a book losing its routes never
   * converged there). No {@code test} of resourceVersion: the mock server never answers a patch
   * whose test fails (the request hangs until the client gives up), and the fresh read narrows the
   * race to the moment between read and patch.
   */
  static ArrayNode patchFor(ExternalBookDefinition current, BookTranslation translation) {
    ExternalBookDefinitionStatus status = current.getStatus();
    List<WebhookEndpoint> have = status == null || status.webhooks() == null ? List.of() : status.webhooks();
    List<Condition> conditions = status == null || status.conditions() == null ? List.of() : status.conditions();
    Condition want = condition(translation, current.getMetadata().getGeneration(), Instant.now().toString());
    Condition existing = conditions.stream().filter(c -> CONDITION.equals(c.type())).findFirst().orElse(null);
    List<WebhookEndpoint> wantWebhooks = webhooks(translation);
    boolean sameCondition = existing != null && existing.status().equals(want.status())
        && Objects.equals(existing.reason(), want.reason()) && Objects.equals(existing.message(), want.message())
        && Objects.equals(existing.observedGeneration(), want.observedGeneration());
    if (have.equals(wantWebhooks) && sameCondition) {
      return null;
    }
    List<Condition> nextConditions = new ArrayList<>();
    for (Condition c : conditions) {
      if (!CONDITION.equals(c.type())) {
        nextConditions.add(c);
      }
    }
    nextConditions.add(sameCondition ? existing : want);
    ArrayNode patch = json.createArrayNode();
    if (status == null) {
      ObjectNode statusNode = json.createObjectNode();
      statusNode.set("webhooks", json.valueToTree(wantWebhooks));
      statusNode.set("conditions", json.valueToTree(nextConditions));
      patch.addObject().put("op", "add").put("path", "/status").set("value", statusNode);
    } else {
      patch.addObject().put("op", "add").put("path", "/status/webhooks").set("value", json.valueToTree(wantWebhooks));
      patch.addObject().put("op", "add").put("path", "/status/conditions").set("value", json.valueToTree(nextConditions));
    }
    return patch;
  }
}

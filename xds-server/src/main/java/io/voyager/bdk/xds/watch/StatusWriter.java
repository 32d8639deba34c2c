package io.voyager.bdk.xds.watch;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.voyager.bdk.model.Condition;
import io.voyager.bdk.model.Conditions;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.ExternalBookDefinitionStatus;
import io.voyager.bdk.model.WebhookEndpoint;
import io.voyager.bdk.xds.ir.BookTranslation;
import io.voyager.bdk.xds.ir.WebhookRouteIr;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes what the gateway made of each ExternalBookDefinition into its status: {@code webhooks}
 * (integration name and public path) and a {@value #CONDITION} condition (True, or False naming
 * the bad fields, or False while the book is held out because Envoy refused its resources).
 * Writes (status subresource, optimistic locking) only when that differs from what the object
 * already says; other conditions and fields are kept.
 */
public final class StatusWriter implements StatusWriteQueue.Writer {
  private static final Logger log = LoggerFactory.getLogger(StatusWriter.class);
  public static final String CONDITION = "WebhooksRouted";
  /** Reason of a False {@value #CONDITION} while Envoy's refusal holds the book out of the gateway. */
  public static final String HELD_OUT = "EnvoyRejected";
  /** Reason of a new book held out until its Service has a ready endpoint. */
  public static final String AWAITING_ENDPOINTS = "AwaitingEndpoints";

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

  private final BookStatusLocks locks;
  /** Runs between a write's read and its update (inside the lock): where tests interleave another writer. */
  private final Runnable afterRead;

  public StatusWriter(KubernetesClient client, BookStatusLocks locks) {
    this(client, locks, () -> {});
  }

  /** Test seam: {@code afterRead} runs after each read, before the update. */
  public StatusWriter(KubernetesClient client, BookStatusLocks locks, Runnable afterRead) {
    this.client = client;
    this.locks = locks;
    this.afterRead = afterRead;
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
      return new Condition(CONDITION, "False", FirstEndpointsGate.isWaitMessage(h.reason()) ? AWAITING_ENDPOINTS : HELD_OUT,
          h.reason(), now, generation);
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
    return cached != null && desiredStatus(cached, translation) != null;
  }

  private static final int ATTEMPTS = 3;

  /**
   * Writes the book's status if it differs from {@code translation}. {@code lookup} gives the
   * object as last seen (informer cache), or null when it is gone; it only decides whether a write
   * may be needed. The write replaces the status of a fresh read under optimistic locking (its
   * resourceVersion) while holding the book's {@link BookStatusLocks lock}: a condition another
   * writer set since the read — the NACK write-back's {@code Accepted}, written the same way, or
   * another xds-server replica's — makes a real API server answer 409 and the write starts again
   * from a new read, so no writer loses another's condition. (A JSON Patch replacing the conditions
   * without a {@code test} op lost such updates; the fabric8 mock never answers a patch whose test
   * fails, and accepts a stale status PUT, hence the in-process lock as well.)
   */
  @Override
  public Result write(BookTranslation translation, BiFunction<String, String, ExternalBookDefinition> lookup) {
    if (!mayNeedWrite(translation, lookup)) {
      return Result.UNCHANGED;
    }
    return locks.withBook(translation.namespace(), translation.name(), () -> writeLocked(translation));
  }

  private Result writeLocked(BookTranslation translation) {
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      ExternalBookDefinition fresh;
      try {
        fresh = client.resources(ExternalBookDefinition.class)
            .inNamespace(translation.namespace()).withName(translation.name()).get();
      } catch (KubernetesClientException e) {
        log.warn("event=status_read_failed book={}/{} code={}", translation.namespace(), translation.name(), e.getCode());
        return Result.FAILED;
      }
      ExternalBookDefinitionStatus next = fresh == null ? null : desiredStatus(fresh, translation);
      if (next == null) {
        return Result.UNCHANGED;
      }
      fresh.setStatus(next);
      afterRead.run();
      try {
        client.resource(fresh).updateStatus();
        log.info("event=status_written book={}/{} webhooks={} routed={}", translation.namespace(), translation.name(),
            webhooks(translation).size(), translation instanceof BookTranslation.Accepted);
        return Result.WRITTEN;
      } catch (KubernetesClientException e) {
        if (e.getCode() == 409 && attempt < ATTEMPTS) {
          log.info("event=status_write_conflict book={}/{} attempt={}", translation.namespace(), translation.name(), attempt);
          continue;
        }
        log.warn("event=status_write_failed book={}/{} code={} error=\"{}\"", translation.namespace(), translation.name(),
            e.getCode(), String.valueOf(e.getMessage()).replace('"', '\''));
        return Result.FAILED;
      }
    }
    return Result.FAILED;
  }

  /**
   * The status {@code current} should have so that it says what {@code translation} means — its
   * {@code webhooks} and {@value #CONDITION} condition replaced, everything else (phase and counts
   * the book-controller writes, other writers' conditions) kept — or null if it already does.
   * Pure.
   */
  static ExternalBookDefinitionStatus desiredStatus(ExternalBookDefinition current, BookTranslation translation) {
    ExternalBookDefinitionStatus status = current.getStatus();
    List<WebhookEndpoint> have = status == null || status.webhooks() == null ? List.of() : status.webhooks();
    List<Condition> conditions = status == null || status.conditions() == null ? List.of() : status.conditions();
    Condition want = condition(translation, current.getMetadata().getGeneration(), Instant.now().toString());
    List<WebhookEndpoint> wantWebhooks = webhooks(translation);
    List<Condition> replaced = Conditions.replaced(conditions, want);
    if (have.equals(wantWebhooks) && replaced == null) {
      return null;
    }
    List<Condition> nextConditions = replaced == null ? conditions : replaced;
    return status == null
        ? new ExternalBookDefinitionStatus(null, null, null, null, wantWebhooks, nextConditions)
        : new ExternalBookDefinitionStatus(status.phase(), status.replicas(), status.readyReplicas(),
            status.lastUpdated(), wantWebhooks, nextConditions);
  }
}

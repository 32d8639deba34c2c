package io.voyager.bdk.xds.nack;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.voyager.bdk.model.Condition;
import io.voyager.bdk.model.Conditions;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.ExternalBookDefinitionStatus;
import io.voyager.bdk.xds.watch.BookStatusLocks;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the {@value #CONDITION} condition of an ExternalBookDefinition: False with reason
 * {@value #REJECTED} and Envoy's error when Envoy refused config made from it, True with reason
 * {@value #ACCEPTED_REASON} once Envoy took a later version. Reads the object fresh (so conditions
 * other writers just set are kept), writes only when the condition differs. The I/O edge of
 * NACK write-back.
 */
public final class AcceptedConditionWriter {
  private static final Logger log = LoggerFactory.getLogger(AcceptedConditionWriter.class);
  public static final String CONDITION = "Accepted";
  public static final String REJECTED = "EnvoyRejected";
  public static final String ACCEPTED_REASON = "EnvoyAccepted";

  private final KubernetesClient client;
  private final BookStatusLocks locks;

  /** {@code locks}: the same the process's {@link io.voyager.bdk.xds.watch.StatusWriter} takes. */
  public AcceptedConditionWriter(KubernetesClient client, BookStatusLocks locks) {
    this.client = client;
    this.locks = locks;
  }

  public static Condition rejected(String message, Long generation, String now) {
    return new Condition(CONDITION, "False", REJECTED, message, now, generation);
  }

  public static Condition accepted(Long generation, String now) {
    return new Condition(CONDITION, "True", ACCEPTED_REASON, "Envoy accepted the gateway config made from this resource", now, generation);
  }

  private static final int ATTEMPTS = 3;

  /**
   * Sets the condition ({@code rejectedMessage == null}: accepted); true if written. Replaces the
   * status with optimistic locking (a concurrent status write → re-read and retry) while holding the
   * book's lock, so other conditions are never lost. Never throws.
   */
  public boolean write(NackAttribution.BookRef book, String rejectedMessage) {
    return locks.withBook(book.namespace(), book.name(), () -> writeLocked(book, rejectedMessage));
  }

  private boolean writeLocked(NackAttribution.BookRef book, String rejectedMessage) {
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        ExternalBookDefinition current = client.resources(ExternalBookDefinition.class)
            .inNamespace(book.namespace()).withName(book.name()).get();
        if (current == null) {
          return false;
        }
        ExternalBookDefinitionStatus status = current.getStatus();
        List<Condition> conditions = status == null || status.conditions() == null ? List.of() : status.conditions();
        Long generation = current.getMetadata().getGeneration();
        Condition want = rejectedMessage == null
            ? accepted(generation, Instant.now().toString())
            : rejected(rejectedMessage, generation, Instant.now().toString());
        List<Condition> next = withCondition(conditions, want);
        if (next == null) {
          return false;
        }
        current.setStatus(status == null
            ? new ExternalBookDefinitionStatus(null, null, null, null, null, next)
            : new ExternalBookDefinitionStatus(status.phase(), status.replicas(), status.readyReplicas(),
                status.lastUpdated(), status.webhooks(), next));
        client.resource(current).updateStatus();
        log.info("event=accepted_condition_written book={} accepted={} reason={}", book, want.status(), want.reason());
        return true;
      } catch (KubernetesClientException e) {
        if (e.getCode() == 409 && attempt < ATTEMPTS) {
          continue;
        }
        log.warn("event=accepted_condition_write_failed book={} code={} error=\"{}\"", book, e.getCode(),
            String.valueOf(e.getMessage()).replace('"', '\''));
        return false;
      }
    }
    return false;
  }

  /** {@code conditions} with {@code want} in place of any {@value #CONDITION}; null when nothing changes. Pure. */
  static List<Condition> withCondition(List<Condition> conditions, Condition want) {
    return Conditions.replaced(conditions, want);
  }
}

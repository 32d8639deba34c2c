package io.voyager.bdk.relay;

import io.nats.client.ConsumeOptions;
import io.nats.client.Connection;
import io.nats.client.ConsumerContext;
import io.nats.client.Message;
import io.nats.client.MessageConsumer;
import io.nats.client.impl.NatsJetStreamMetaData;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes the work stream (durable pull consumer, shared by every relay replica) and delivers each
 * webhook at-least-once: an attempt, then acknowledge (delivered or dead-lettered) or
 * {@code nakWithDelay} (retry per {@link RetryPolicy}); a message is acknowledged only after the
 * book said 2xx or its dead letter was stored, so a relay that dies mid-attempt loses nothing —
 * JetStream offers the message again after the ack wait.
 *
 * <p>Attempts are counted in the delivery record ({@link DeliveryRecords}), not with the consumer's
 * {@code MaxDeliver}: JetStream's delivery count also counts the times a webhook was only offered
 * and put back (its endpoint paused by the breaker, an ordered endpoint busy), and its
 * {@code MAX_DELIVERIES} advisory carries neither the last status nor the error the dead letter
 * must show. The consumer therefore has no delivery limit; the schedule's length bounds attempts
 * and {@code giveUpAfter} bounds a webhook's life (dead-lettered as {@code expired}), so nothing
 * loops forever. Should the record be unreadable, a webhook's attempts restart from zero, bounded
 * by {@code giveUpAfter} as well.
 */
final class DeliveryWorkers implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DeliveryWorkers.class);
  private static final Duration NATS_TROUBLE_WAIT = Duration.ofSeconds(5);

  private final Connection connection;
  private final QueueSettings queue;
  private final DeliverySettings settings;
  private final DeliveryRecords records;
  private final DeadLetters deadLetters;
  private final RelayMetrics metrics;
  private final CircuitBreakers breakers;
  private final EndpointLanes lanes;
  private final RetryPolicy policy;
  private final BookClient books;
  private final OrderedLeases leases;
  private final BookWakes wakes;
  private final Clock clock;
  private final ExecutorService executor;
  private MessageConsumer consumer;

  DeliveryWorkers(Connection connection, QueueSettings queue, DeliverySettings settings, DeliveryRecords records,
      DeadLetters deadLetters, RelayMetrics metrics, CircuitBreakers breakers, javax.net.ssl.SSLContext tls,
      BookWakes wakes, Clock clock) throws java.io.IOException {
    this.wakes = wakes;
    this.leases = new OrderedLeases(connection, queue, settings.ackWait().plusSeconds(30));
    this.connection = connection;
    this.queue = queue;
    this.settings = settings;
    this.records = records;
    this.deadLetters = deadLetters;
    this.metrics = metrics;
    this.breakers = breakers;
    this.lanes = new EndpointLanes(settings.perEndpointConcurrency());
    this.policy = new RetryPolicy(settings.schedule());
    this.books = new BookClient(settings.target(), settings.timeout(), tls, clock);
    this.clock = clock;
    this.executor = Executors.newFixedThreadPool(4, runnable -> {
      Thread thread = new Thread(runnable, "relay-delivery");
      thread.setDaemon(true);
      return thread;
    });
  }

  synchronized void start() throws Exception {
    ConsumerContext context = connection.getConsumerContext(queue.workStream(), queue.consumer());
    consumer = context.consume(
        ConsumeOptions.builder().batchSize(Math.min(settings.maxInFlight(), 256)).expiresIn(10_000).build(),
        this::dispatch);
    log.info("event=delivery_workers_started stream={} consumer={} schedule={} max_in_flight={}",
        queue.workStream(), queue.consumer(), settings.schedule(), settings.maxInFlight());
  }

  /**
   * After a reconnect (a restarted or failed-over nats-server) the outstanding pull requests are
   * gone with the old connection: consume afresh rather than wait for the client's heartbeat
   * alarm. Retries every few seconds while JetStream is still recovering its streams.
   */
  void restartAfterReconnect() {
    executor.execute(() -> {
      for (int tries = 0; tries < 60 && !executor.isShutdown(); tries++) {
        try {
          synchronized (this) {
            if (consumer != null) {
              consumer.stop();
            }
            start();
          }
          return;
        } catch (Exception e) {
          log.warn("event=consume_restart_failed try={} error=\"{}\"", tries + 1, DeadLetters.oneLine(e.toString()));
          try {
            Thread.sleep(1000); // JetStream is recovering after a restart; try again shortly
          } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
    });
  }

  /**
   * Runs on the consumer's one dispatch thread, in the order JetStream hands messages over: an
   * ordered endpoint's webhook is made known to its lane here, before the workers (several threads)
   * race, so a later one cannot overtake it.
   */
  private void dispatch(Message message) {
    long sequence = message.metaData().streamSequence();
    WebhookEnvelope webhook;
    try {
      webhook = WebhookEnvelope.from(message.getHeaders(), message.getData());
    } catch (RuntimeException e) {
      log.error("event=webhook_malformed seq={} error=\"{}\"", sequence, DeadLetters.oneLine(e.getMessage()));
      metrics.deadLettered(DeadLetterReason.MALFORMED);
      message.term();
      return;
    }
    if (webhook.ordered()) {
      lanes.expect(webhook.endpoint(), sequence, clock.instant().plus(EndpointLanes.BUSY_WAIT));
    }
    executor.execute(() -> process(message, webhook));
  }

  private void process(Message message, WebhookEnvelope webhook) {
    NatsJetStreamMetaData meta = message.metaData();
    long sequence = meta.streamSequence();
    Instant now = clock.instant();
    String endpoint = webhook.endpoint();
    DeliveryRecord record = readRecord(webhook);
    int attempts = record != null && record.sequence() == sequence ? record.attempts() : 0;
    Integer lastStatus = record != null && record.sequence() == sequence ? record.lastStatus() : null;
    if (attempts >= settings.schedule().maxAttempts()) {
      lanes.forget(endpoint, sequence);
      // the last attempt failed but its dead letter was not stored (NATS trouble): store it now
      deadLetter(message, webhook, sequence, DeadLetterReason.ATTEMPTS_EXHAUSTED, attempts,
          lastStatus == null ? null : DeliveryOutcome.answered(lastStatus, null));
      return;
    }
    Instant received = webhook.receivedAt().equals(Instant.EPOCH) ? meta.timestamp().toInstant() : webhook.receivedAt();
    if (Duration.between(received, now).compareTo(settings.giveUpAfter()) > 0) {
      lanes.forget(endpoint, sequence);
      deadLetter(message, webhook, sequence, DeadLetterReason.EXPIRED, attempts,
          lastStatus == null ? null : DeliveryOutcome.answered(lastStatus, null));
      return;
    }
    if (webhook.wakeLease() != null && wakes != null
        && !awake(message, webhook, record, sequence, attempts, lastStatus, received, now)) {
      return;
    }
    Optional<Duration> paused = breakers.admit(endpoint, now);
    if (paused.isPresent()) {
      if (webhook.ordered()) {
        lanes.expect(endpoint, sequence, now.plus(paused.get()));
      }
      message.nakWithDelay(paused.get());
      return;
    }
    Optional<Duration> busy = lanes.admit(endpoint, sequence, webhook.ordered(), now);
    if (busy.isPresent()) {
      breakers.released(endpoint);
      message.nakWithDelay(busy.get());
      return;
    }
    if (webhook.ordered() && !leases.acquire(webhook.endpointKey(), sequence)) {
      // another relay replica holds this ordered endpoint's line
      lanes.abandoned(endpoint, sequence, now);
      breakers.released(endpoint);
      message.nakWithDelay(EndpointLanes.BUSY_WAIT);
      return;
    }
    int attempt = attempts + 1;
    writeRecord(webhook, DeliveryRecord.DELIVERING, attempt, lastStatus, null, null, sequence);
    books.deliver(webhook, attempt)
        .whenCompleteAsync((outcome, error) -> finish(message, webhook, sequence, attempt,
            error == null ? outcome : DeliveryOutcome.failed(DeliveryOutcome.Failure.CONNECTION, error.toString())),
        executor);
  }

  /**
   * For a book that sleeps when idle: true when it is ready to take the webhook; otherwise the
   * message was put back (the book asked to wake; not an attempt, the breaker untouched) or, when
   * the book did not wake in time, dead-lettered.
   */
  private boolean awake(Message message, WebhookEnvelope webhook, DeliveryRecord record, long sequence, int attempts,
      Integer lastStatus, Instant received, Instant now) {
    BookWakes.Verdict verdict = wakes.check(webhook.wakeLease(), webhook.instance(), received);
    if (verdict instanceof BookWakes.Verdict.Wait wait) {
      if (webhook.ordered()) {
        lanes.expect(webhook.endpoint(), sequence, now.plus(wait.after()));
      }
      // one record write when it starts waiting, not one per look (many may wait for one book)
      if (record == null || record.sequence() != sequence || !DeliveryRecord.WAKING.equals(record.state())) {
        writeRecord(webhook, DeliveryRecord.WAKING, attempts, lastStatus, null, now.plus(wait.after()), sequence);
      }
      message.nakWithDelay(wait.after());
      return false;
    }
    if (verdict instanceof BookWakes.Verdict.GiveUp giveUp) {
      lanes.forget(webhook.endpoint(), sequence);
      deadLetter(message, webhook, sequence, DeadLetterReason.WAKE_TIMEOUT, attempts,
          DeliveryOutcome.failed(DeliveryOutcome.Failure.NOT_WOKEN, giveUp.why()));
      return false;
    }
    return true;
  }

  private void finish(Message message, WebhookEnvelope webhook, long sequence, int attempt, DeliveryOutcome outcome) {
    String endpoint = webhook.endpoint();
    Instant now = clock.instant();
    Integer status = outcome.answered() ? outcome.status() : null;
    String error = outcome.answered() ? null : DeadLetters.oneLine(outcome.describe());
    RetryPolicy.Decision decision = policy.decide(outcome, attempt);
    if (decision instanceof RetryPolicy.Decision.Delivered) {
      breakers.succeeded(endpoint);
      message.ack();
      lanes.done(endpoint, sequence);
      releaseLine(webhook, sequence);
      metrics.delivered(Duration.between(webhook.receivedAt(), now));
      writeRecord(webhook, DeliveryRecord.DELIVERED, attempt, status, null, null, sequence);
      log.info("event=webhook_delivered webhook_id={} instance={} integration={} attempt={} status={}",
          webhook.webhookId(), webhook.instance(), webhook.integration(), attempt, status);
    } else if (decision instanceof RetryPolicy.Decision.Retry retry) {
      boolean opened = breakers.failed(endpoint, now);
      message.nakWithDelay(retry.after());
      lanes.retrying(endpoint, sequence, webhook.ordered(), now.plus(retry.after()));
      if (webhook.ordered()) {
        leases.hold(webhook.endpointKey(), sequence, retry.after());
      }
      metrics.retried(retry.reason());
      writeRecord(webhook, DeliveryRecord.RETRYING, attempt, status, error, now.plus(retry.after()), sequence);
      log.info("event=webhook_retry webhook_id={} instance={} integration={} attempt={} outcome=\"{}\" retry_in_ms={}{}",
          webhook.webhookId(), webhook.instance(), webhook.integration(), attempt, outcome.describe(),
          retry.after().toMillis(), opened ? " breaker=open" : "");
    } else {
      DeadLetterReason reason = ((RetryPolicy.Decision.DeadLetter) decision).reason();
      if (reason == DeadLetterReason.CLIENT_ERROR) {
        breakers.succeeded(endpoint);
      } else {
        breakers.failed(endpoint, now);
      }
      deadLetter(message, webhook, sequence, reason, attempt, outcome);
      lanes.done(endpoint, sequence);
    }
  }

  private void deadLetter(Message message, WebhookEnvelope webhook, long sequence, DeadLetterReason reason,
      int attempts, DeliveryOutcome last) {
    try {
      deadLetters.add(webhook, sequence, reason, attempts, last, clock.instant());
    } catch (Exception e) {
      log.warn("event=dead_letter_failed webhook_id={} seq={} error=\"{}\" retry_in_ms={}",
          webhook.webhookId(), sequence, DeadLetters.oneLine(e.toString()), NATS_TROUBLE_WAIT.toMillis());
      message.nakWithDelay(NATS_TROUBLE_WAIT);
      return;
    }
    message.ack();
    releaseLine(webhook, sequence);
    metrics.deadLettered(reason);
    Integer status = last != null && last.answered() ? last.status() : null;
    String error = last != null && !last.answered() ? DeadLetters.oneLine(last.describe()) : null;
    writeRecord(webhook, DeliveryRecord.DEAD_LETTERED, attempts, status, error, null, sequence);
    log.warn("event=webhook_dead_lettered webhook_id={} instance={} integration={} reason={} attempts={} last=\"{}\"",
        webhook.webhookId(), webhook.instance(), webhook.integration(), reason.label(), attempts,
        last == null ? "" : last.describe());
  }

  private void releaseLine(WebhookEnvelope webhook, long sequence) {
    if (webhook.ordered()) {
      leases.release(webhook.endpointKey(), sequence);
    }
  }

  private DeliveryRecord readRecord(WebhookEnvelope webhook) {
    try {
      return records.get(webhook.namespace(), webhook.name(), webhook.webhookId()).orElse(null);
    } catch (Exception e) {
      log.warn("event=delivery_record_read_failed webhook_id={} error=\"{}\"", webhook.webhookId(),
          DeadLetters.oneLine(e.toString()));
      return null;
    }
  }

  private void writeRecord(WebhookEnvelope webhook, String state, int attempts, Integer status, String error,
      Instant nextAttempt, long sequence) {
    try {
      records.put(webhook.namespace(), webhook.name(), new DeliveryRecord(webhook.webhookId(), webhook.instance(),
          webhook.integration(), state, attempts, status, error, nextAttempt == null ? null : nextAttempt.toString(),
          webhook.receivedAt().toString(), clock.instant().toString(), sequence));
    } catch (Exception e) {
      log.warn("event=delivery_record_write_failed webhook_id={} state={} error=\"{}\"", webhook.webhookId(), state,
          DeadLetters.oneLine(e.toString()));
    }
  }

  CircuitBreakers breakers() {
    return breakers;
  }

  @Override
  public void close() {
    if (consumer != null) {
      try {
        consumer.close();
      } catch (Exception e) {
        log.warn("event=consumer_close_failed error=\"{}\"", e.toString());
      }
    }
    executor.shutdown();
    try {
      executor.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    executor.shutdownNow();
  }
}

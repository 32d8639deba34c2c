package io.voyager.bdk.library;

import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.voyager.bdk.model.CredentialRotations;
import io.voyager.bdk.model.CredentialSecrets;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends rotation overlaps: every {@code interval} it lists the credentials Secrets labelled {@value
 * CredentialRotations#PENDING_LABEL} (from the API server's watch cache, so the list is cheap at any
 * number of Secrets) and removes each previous value whose time is up ({@link
 * CredentialRotations#sweep}), with a write conditioned on the Secret's resourceVersion.
 *
 * <p>Leader-less and restart-safe: what is due lives on the Secret itself, so every library replica
 * sweeps, any of them may finish what another started, and a write that loses to another sweeper or
 * to a new rotation (409) is simply left for the next round, which reads again. A previous value
 * thus stops verifying within one interval after its overlap ends. Only an instance's credentials
 * Secret in a customer namespace ({@link CredentialSecrets}) is touched. Logs names, never values.
 */
final class PreviousValueSweeper implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PreviousValueSweeper.class);

  private final KubernetesClient client;
  private final Clock clock;
  private final Duration interval;
  private final Counter removed;
  private final Counter failed;
  private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "previous-value-sweeper");
    t.setDaemon(true);
    return t;
  });

  PreviousValueSweeper(KubernetesClient client, Clock clock, Duration interval, MeterRegistry registry) {
    this.client = client;
    this.clock = clock;
    this.interval = interval;
    this.removed = Counter.builder("bdk.library.previous.credentials.removed")
        .description("Previous values of rotated credentials removed when their overlap ended").register(registry);
    this.failed = Counter.builder("bdk.library.previous.credentials.sweeps.failed")
        .description("Sweeps of rotated credentials' previous values that failed (retried next interval)").register(registry);
  }

  PreviousValueSweeper start() {
    executor.scheduleWithFixedDelay(this::sweepQuietly, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  private void sweepQuietly() {
    try {
      sweepOnce();
    } catch (KubernetesClientException e) {
      failed.increment();
      log.warn("event=previous_values_sweep_failed http_code={}", e.getCode());
    } catch (RuntimeException e) {
      failed.increment();
      log.error("event=previous_values_sweep_failed error={}", e.getClass().getName(), e);
    }
  }

  /** One round: returns how many previous values it removed. */
  int sweepOnce() {
    var secrets = client.secrets().inAnyNamespace()
        .withLabel(CredentialRotations.PENDING_LABEL, CredentialRotations.PENDING)
        .list(new ListOptionsBuilder().withResourceVersion("0").build()).getItems();
    int count = 0;
    for (Secret s : secrets) {
      count += sweep(s);
    }
    return count;
  }

  private int sweep(Secret s) {
    String namespace = s.getMetadata().getNamespace();
    String name = s.getMetadata().getName();
    if (CredentialSecrets.problem(namespace, name).isPresent()) {
      return 0;
    }
    Map<String, CredentialRotations.Previous> pending;
    boolean unreadable = false;
    try {
      pending = CredentialRotations.parse(s.getMetadata().getAnnotations() == null
          ? null : s.getMetadata().getAnnotations().get(CredentialRotations.PREVIOUS_VALUES));
    } catch (IllegalArgumentException e) {
      log.warn("event=previous_values_unreadable namespace={} secret={} reason=\"{}\" action=label_removed",
          namespace, name, e.getMessage());
      pending = new TreeMap<>();
      unreadable = true;
    }
    Map<String, String> data = CredentialsSecretWriter.raw(s);
    Map<String, String> values = new LinkedHashMap<>();
    pending.keySet().stream().filter(data::containsKey).forEach(k -> values.put(k, CredentialsSecretWriter.decode(data.get(k))));
    CredentialRotations.Swept swept = CredentialRotations.sweep(values, pending, clock.instant());
    if (!swept.changed() && !unreadable && !pending.isEmpty()) {
      return 0;
    }
    swept.stripped().forEach(k -> data.put(k, CredentialsSecretWriter.encode(swept.values().get(k))));
    Secret next = CredentialsSecretWriter.withPending(new SecretBuilder(s).withData(data).withStringData(null), swept.pending()).build();
    try {
      client.secrets().inNamespace(namespace).resource(next).update();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409 || e.getCode() == 404) {
        log.info("event=previous_values_sweep_deferred namespace={} secret={} http_code={}", namespace, name, e.getCode());
        return 0;
      }
      throw e;
    }
    for (String credential : swept.stripped()) {
      removed.increment();
      log.info("event=previous_credential_removed namespace={} secret={} credential={}", namespace, name, LogValues.of(credential));
    }
    return swept.stripped().size();
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}

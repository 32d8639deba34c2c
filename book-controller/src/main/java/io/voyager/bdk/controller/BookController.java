package io.voyager.bdk.controller;

import io.voyager.bdk.controller.desired.ControllerSettings;
import io.voyager.bdk.controller.desired.ManagedLabels;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.javaoperatorsdk.operator.processing.retry.GenericRetry;
import io.micrometer.core.instrument.MeterRegistry;
import io.voyager.bdk.model.BdkLabels;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Java Operator SDK operator running {@link BookInstanceReconciler} (BookInstanceDefinitions in
 * bdk) and {@link OrganizationReconciler} (Organizations in bdk, whose customer namespaces get their
 * quotas, limits, Pod Security labels and default-deny policy). Both retry failures with
 * exponential backoff (1 s doubling to 5 min, 12 attempts; then an instance is Failed until its next
 * change, an Organization says ApplyFailed until its next change or resync), behind one Lease when
 * leader election is on, so only one replica acts.
 * Writes use plain create/update/merge-patch, never server-side apply (the mock server has none).
 */
public final class BookController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BookController.class);

  /** Leader election: a Lease {@code name} in {@code namespace}, held by {@code identity}. */
  public record LeaderElection(
      String leaseName, String namespace, String identity, Duration leaseDuration, Duration renewDeadline,
      Duration retryPeriod, boolean exitOnLoss) {
    public static LeaderElection defaults(String identity, boolean exitOnLoss) {
      return new LeaderElection("book-controller", BdkLabels.BDK_NAMESPACE, identity,
          LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
          LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
          LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE, exitOnLoss);
    }
  }

  private final Operator operator;
  private final AtomicBoolean closing;

  private BookController(Operator operator, AtomicBoolean closing) {
    this.operator = operator;
    this.closing = closing;
  }

  /**
   * Starts the operator. Without leader election it returns once its informers are synced; with
   * it, once it has started campaigning (the leader then syncs and reconciles).
   */
  public static BookController start(
      KubernetesClient client,
      ControllerSettings settings,
      MeterRegistry registry,
      Optional<LeaderElection> leaderElection,
      int reconcileThreads) {
    AtomicBoolean closing = new AtomicBoolean();
    Operator operator = new Operator(o -> {
      o.withKubernetesClient(client)
          .withCloseClientOnStop(false)
          .withUseSSAToPatchPrimaryResource(false)
          .withSSABasedCreateUpdateMatchForDependentResources(false)
          .withConcurrentReconciliationThreads(reconcileThreads)
          .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(registry))
          .withStopOnInformerErrorDuringStartup(false);
      // Exit on a lost Lease ourselves, never while closing: JOSDK's own exit (exitOnStopLeading)
      // also fires when close() stops the leader, and System.exit from inside the JVM's shutdown
      // hook (SIGTERM) blocks forever, so the pod would hang until SIGKILL.
      leaderElection.ifPresent(le -> o.withLeaderElectionConfiguration(
          new LeaderElectionConfiguration(le.leaseName(), le.namespace(), le.leaseDuration(),
              le.renewDeadline(), le.retryPeriod(), le.identity(),
              new LeaderCallbacks(() -> {}, () -> exitOnLostLease(le, closing), leader -> {}), false)));
    });
    GenericRetry retry = new GenericRetry()
        .setInitialInterval(Duration.ofSeconds(1))
        .setIntervalMultiplier(2.0)
        .setMaxInterval(Duration.ofMinutes(5).toMillis())
        .setMaxAttempts(12);
    operator.register(
        new BookInstanceReconciler(settings, Clock.systemUTC(), registry),
        c -> c.withName("book-instances")
            .settingNamespace(BdkLabels.BDK_NAMESPACE)
            .withFinalizer(ManagedLabels.FINALIZER)
            .withRetry(retry)
            .withReconciliationMaxInterval(Duration.ofMinutes(10)));
    operator.register(
        new OrganizationReconciler(settings, Clock.systemUTC(), registry),
        c -> c.withName("organizations")
            .settingNamespace(BdkLabels.BDK_NAMESPACE)
            .withFinalizer(ManagedLabels.FINALIZER)
            .withRetry(retry)
            .withReconciliationMaxInterval(Duration.ofMinutes(10)));
    operator.start();
    log.info("event=controller_started leader_election={} threads={}", leaderElection.isPresent(), reconcileThreads);
    return new BookController(operator, closing);
  }

  private static void exitOnLostLease(LeaderElection le, AtomicBoolean closing) {
    if (le.exitOnLoss() && !closing.get()) {
      log.error("event=leadership_lost identity={} action=exit", le.identity());
      new Thread(() -> System.exit(1), "exit-on-lost-leadership").start();
    }
  }

  /** Ready to serve: started (a standby replica waiting for the Lease is ready too). */
  public boolean ready() {
    return operator.getRuntimeInfo().isStarted();
  }

  @Override
  public void close() {
    closing.set(true);
    operator.stop();
    log.info("event=controller_stopped");
  }
}

package io.voyager.bdk.relay;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.voyager.bdk.support.AdminOptions;
import io.voyager.bdk.support.AdminServer;
import io.voyager.bdk.support.Closer;
import io.voyager.bdk.support.KubeconfigOption;
import io.voyager.bdk.support.Metrics;
import io.voyager.bdk.support.ServiceMain;
import io.voyager.bdk.support.tls.JdkTls;
import io.voyager.bdk.support.tls.ServerTls;
import io.voyager.bdk.support.tls.ServerTlsOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The webhook-relay process: accept on --http-port, deliver from JetStream, health and metrics on --admin-port. */
@Command(
    name = "webhook-relay",
    mixinStandardHelpOptions = true,
    description = "Queues webhooks of 'queued' bindings on NATS JetStream and delivers them to the books "
        + "at-least-once, with retries, per-endpoint circuit breakers and a dead-letter stream.")
public final class Main implements Callable<AutoCloseable> {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  @Spec CommandLine.Model.CommandSpec spec;

  @Mixin AdminOptions admin = new AdminOptions("0.0.0.0", 18041);

  /**
   * Mutual TLS on both of the relay's hops (the default): its accept endpoint requires a client
   * certificate of the internal CA (Envoy's), and its deliveries to an https --delivery-url present
   * this certificate (the gateway's internal listener admits only the relay's identity) and verify
   * the gateway's against the CA and the host name. --plaintext: local tools only.
   */
  @Mixin ServerTlsOptions tlsOptions = new ServerTlsOptions();

  @Mixin KubeconfigOption kube = new KubeconfigOption();

  @Option(names = "--wake-books", arity = "0..1", fallbackValue = "true", description = "Wake books that sleep when idle (webhook-triggered) before delivering "
      + "to them, through their wake Leases in the Kubernetes API (--kubeconfig, or in-cluster); needs Lease "
      + "get/list/watch/patch. Off: such webhooks are delivered as to any book (default: ${DEFAULT-VALUE}).")
  boolean wakeBooks;

  @Option(names = "--wake-timeout", description = "How long a webhook waits for its sleeping book to become ready before "
      + "it is dead-lettered as wake_timeout (default: ${DEFAULT-VALUE}).")
  String wakeTimeout = "10m";

  @Option(names = "--wake-recheck", description = "How long a webhook waiting for its book is put back before it is "
      + "looked at again (default: ${DEFAULT-VALUE}).")
  String wakeRecheck = "2s";

  @Option(names = "--wake-settle", description = "How long a woken book must have been ready before deliveries go on "
      + "(the gateway routing to its new endpoint; default: ${DEFAULT-VALUE}).")
  String wakeSettle = "1500ms";

  @Option(names = "--nats-url", description = "NATS server(s), comma-separated (default: ${DEFAULT-VALUE}).")
  String natsUrl = "nats://127.0.0.1:4222";

  @Option(names = "--http-host", description = "Accept endpoint bind address (default: ${DEFAULT-VALUE}).")
  String httpHost = "0.0.0.0";

  @Option(names = "--http-port", description = "Accept endpoint port: Envoy routes queued webhooks here (default: ${DEFAULT-VALUE}; 0 picks one).")
  int httpPort = 18040;

  @Option(names = "--delivery-url", description = "Where each webhook is POSTed; {namespace} {name} {integration} {endpoint_key} {path} are filled in (default: ${DEFAULT-VALUE}).")
  String deliveryUrl = "https://127.0.0.1:8444" + DeliveryTarget.INTERNAL_PATH_TEMPLATE;

  @Option(names = "--retry-schedule", description = "Wait before each attempt; its length is the number of attempts (default: ${DEFAULT-VALUE}).")
  String retrySchedule = RetrySchedule.SVIX;

  @Option(names = "--delivery-timeout", description = "One attempt's time limit (default: ${DEFAULT-VALUE}).")
  String deliveryTimeout = "15s";

  @Option(names = "--breaker-failures", description = "Consecutive failures that pause an endpoint (default: ${DEFAULT-VALUE}).")
  int breakerFailures = 5;

  @Option(names = "--breaker-open", description = "First pause before a probe; doubles up to --breaker-max-open (default: ${DEFAULT-VALUE}).")
  String breakerOpen = "30s";

  @Option(names = "--breaker-max-open", description = "Longest pause between probes (default: ${DEFAULT-VALUE}).")
  String breakerMaxOpen = "10m";

  @Option(names = "--per-endpoint-concurrency", description = "Deliveries in flight to one endpoint at most; ordered bindings get 1 (default: ${DEFAULT-VALUE}).")
  int perEndpoint = 4;

  @Option(names = "--max-in-flight", description = "Unacknowledged deliveries per relay at most (default: ${DEFAULT-VALUE}).")
  int maxInFlight = 256;

  @Option(names = "--give-up-after", description = "A webhook older than this is dead-lettered as expired (default: ${DEFAULT-VALUE}).")
  String giveUpAfter = "48h";

  @Option(names = "--ack-wait", description = "How long JetStream waits for a verdict before offering a webhook again (default: --delivery-timeout + 30s).")
  String ackWait;

  @Option(names = "--max-body-bytes", description = "Largest webhook body; as the xds-server's --max-request-bytes (default: ${DEFAULT-VALUE}).")
  long maxBodyBytes = AcceptSettings.defaults().maxBodyBytes();

  @Option(names = "--max-header-bytes", description = "Largest header block; as Envoy's default (default: ${DEFAULT-VALUE}).")
  int maxHeaderBytes = AcceptSettings.defaults().maxHeaderBytes();

  @Option(names = "--max-headers", description = "Most headers; as Envoy's default (default: ${DEFAULT-VALUE}).")
  int maxHeaders = AcceptSettings.defaults().maxHeaders();

  @Option(names = "--publish-timeout", description = "How long to wait for JetStream's acknowledgement before answering 503 (default: ${DEFAULT-VALUE}).")
  String publishTimeout = "5s";

  @Option(names = "--stream-replicas", description = "Replicas of the streams and the bucket: 1 for one server, 3 in a cluster (default: ${DEFAULT-VALUE}).")
  int replicas = 1;

  @Option(names = "--duplicate-window", description = "How long a webhook id is remembered for de-duplication (default: ${DEFAULT-VALUE}).")
  String duplicateWindow = "10m";

  @Option(names = "--max-message-bytes", description = "Largest queued message, body plus headers (default: ${DEFAULT-VALUE}).")
  long maxMessageBytes = QueueSettings.defaults().maxMessageBytes();

  @Option(names = "--queue-max-bytes", description = "Storage of the work stream; when full, webhooks get 503 (default: ${DEFAULT-VALUE}).")
  long queueMaxBytes = QueueSettings.defaults().queueMaxBytes();

  @Option(names = "--dead-letter-max-age", description = "How long dead letters are kept for replay (default: ${DEFAULT-VALUE}).")
  String deadLetterMaxAge = "336h";

  public static void main(String[] args) {
    ServiceMain.main(new Main(), args);
  }

  /** Starts the relay and returns once it listens; close() stops it. */
  public static AutoCloseable start(String... args) {
    return ServiceMain.start(new Main(), args);
  }

  @Override
  public AutoCloseable call() {
    QueueSettings defaults = QueueSettings.defaults();
    QueueSettings queue;
    ServerTls serverTls;
    AcceptSettings accept;
    DeliverySettings delivery;
    BookWakes.Settings wake;
    try {
      queue = new QueueSettings(defaults.workStream(), defaults.deadLetterStream(), defaults.consumer(),
          defaults.recordsBucket(), defaults.leasesBucket(), replicas, duration("--duplicate-window", duplicateWindow), maxMessageBytes,
          queueMaxBytes, defaults.deadLetterMaxBytes(), duration("--dead-letter-max-age", deadLetterMaxAge),
          defaults.recordsMaxBytes(), defaults.recordTtl());
      accept = new AcceptSettings(maxBodyBytes, maxHeaderBytes, maxHeaders, duration("--publish-timeout", publishTimeout));
      delivery = new DeliverySettings(new DeliveryTarget(deliveryUrl), schedule(),
          duration("--delivery-timeout", deliveryTimeout), breakerFailures, duration("--breaker-open", breakerOpen),
          duration("--breaker-max-open", breakerMaxOpen), perEndpoint, maxInFlight,
          duration("--give-up-after", giveUpAfter),
          ackWait == null ? duration("--delivery-timeout", deliveryTimeout).plusSeconds(30) : duration("--ack-wait", ackWait));
      BookWakes.Settings standard = BookWakes.Settings.standard();
      wake = new BookWakes.Settings(duration("--wake-timeout", wakeTimeout), duration("--wake-settle", wakeSettle),
          duration("--wake-recheck", wakeRecheck), standard.rewakeInterval(), standard.maxTrackedBooks());
      new CircuitBreakers(breakerFailures, delivery.breakerOpenFor(), delivery.breakerMaxOpenFor());
      new EndpointLanes(perEndpoint);
      serverTls = tlsOptions.tls();
      if (serverTls instanceof ServerTls.Plaintext && deliveryUrl.startsWith("https://")) {
        throw new IllegalArgumentException("--delivery-url: an https URL needs the relay's certificate (--tls-cert-file, "
            + "--tls-key-file, --tls-client-ca-file): the gateway's internal listener admits only the relay's identity");
      }
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    Closer started = new Closer();
    try {
      JdkTls tls = serverTls instanceof ServerTls.MutualTls mtls ? started.register(JdkTls.mutual(mtls.files())) : null;
      PrometheusMeterRegistry registry = Metrics.newRegistry("webhook-relay", started);
      WebhookRelay.Wake wakes = wakeBooks ? new WebhookRelay.Wake(started.register(kube.client()), wake) : null;
      WebhookRelay relay = started.register(WebhookRelay.start(new WebhookRelay.Endpoints(natsUrl, httpHost, httpPort),
          queue, accept, delivery, tls, wakes, registry, Clock.systemUTC()));
      AdminServer adminServer = started.register(admin.start(registry, relay::ready));
      relay.addAdminEndpoints(adminServer);
      log.info("event=webhook_relay_started http={}:{} tls={} admin_port={} nats={} schedule={}",
          httpHost, relay.httpPort(), tls == null ? "off" : "mutual", adminServer.port(), natsUrl, delivery.schedule());
      return new Running(started, relay.httpPort(), adminServer.port());
    } catch (RuntimeException e) {
      started.close();
      throw e;
    }
  }

  /** The started relay: its bound ports, and close() to stop it. */
  public record Running(Closer closer, int httpPort, int adminPort) implements AutoCloseable {
    @Override
    public void close() {
      closer.close();
    }
  }

  private RetrySchedule schedule() {
    try {
      return RetrySchedule.parse(retrySchedule);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--retry-schedule: " + e.getMessage());
    }
  }

  /** {@code 500ms}, {@code 30s}, {@code 10m}, {@code 48h}; the message names the flag. */
  public static Duration duration(String flag, String value) {
    try {
      RetrySchedule parsed = RetrySchedule.parse(value);
      if (parsed.maxAttempts() != 1) {
        throw new IllegalArgumentException("one duration expected");
      }
      return parsed.waits().get(0);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flag + ": '" + value + "' is not a duration like 500ms, 30s, 10m or 48h");
    }
  }
}

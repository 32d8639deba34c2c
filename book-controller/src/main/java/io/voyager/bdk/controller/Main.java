package io.voyager.bdk.controller;

import io.voyager.bdk.controller.desired.ControllerSettings;
import io.voyager.bdk.controller.desired.ImageResolver;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.voyager.bdk.support.AdminOptions;
import io.voyager.bdk.support.AdminServer;
import io.voyager.bdk.support.Closer;
import io.voyager.bdk.support.KubeconfigOption;
import io.voyager.bdk.support.Metrics;
import io.voyager.bdk.support.ServiceMain;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The book controller process: reconciles BookInstanceDefinitions; health and metrics on --admin-port. */
@Command(
    name = "book-controller",
    mixinStandardHelpOptions = true,
    description = "Runs each BookInstanceDefinition as a Deployment, Service, ExternalBookDefinition and policies in its customer namespace.")
public final class Main implements Callable<AutoCloseable> {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  @Mixin KubeconfigOption kube = new KubeconfigOption();

  @Mixin AdminOptions admin = new AdminOptions("0.0.0.0", 18021);

  @Option(names = "--runtime-image", paramLabel = "RUNTIME=IMAGE",
      description = "Image for a book runtime, by language or language:version; repeatable (default: python=voyager/book-runtime-python:3.11).")
  List<String> runtimeImages = new ArrayList<>();

  @Option(names = "--image-registry", paramLabel = "HOST[:PORT][/PATH]",
      description = "Pull every image (books and sidecars) from this registry instead of its own, for private or air-gapped clusters.")
  String imageRegistry;

  @Option(names = "--tailscale-image", defaultValue = "tailscale/tailscale:stable", description = "Tailscale sidecar image (default: ${DEFAULT-VALUE}).")
  String tailscaleImage;

  @Option(names = "--tailscale-mode", defaultValue = "userspace",
      description = "Default Tailscale sidecar mode: userspace (no extra privileges; the book reaches the tailnet through the sidecar's proxies) "
          + "or kernel (root with NET_ADMIN; needs --tailscale-allow-kernel-mode); an instance's networking.tailscale.mode overrides it (default: ${DEFAULT-VALUE}).")
  String tailscaleMode;

  @Option(names = "--tailscale-allow-kernel-mode", arity = "1", defaultValue = "false",
      description = "Allow Tailscale sidecars in kernel mode (root with NET_ADMIN); without it an instance asking for kernel mode is Failed naming this flag (default: ${DEFAULT-VALUE}).")
  boolean tailscaleKernelAllowed;

  @Option(names = "--sleep-after", defaultValue = "PT15M", paramLabel = "DURATION",
      description = "How long a webhook-triggered book may go without a webhook before it is scaled to zero (ISO-8601, e.g. PT15M; PT0S: never) (default: ${DEFAULT-VALUE}).")
  String sleepAfter;

  @Option(names = "--run-manager-endpoint", paramLabel = "URL",
      description = "The Run Manager's URL, given to long-polling and webhook-triggered books as RUN_MANAGER_ENDPOINT (default: none).")
  String runManagerEndpoint;

  @Option(names = "--gateway-namespace", defaultValue = "bdk", description = "Namespace of the gateway pods allowed to reach books (default: ${DEFAULT-VALUE}).")
  String gatewayNamespace;

  @Option(names = "--gateway-pod-label", paramLabel = "KEY=VALUE",
      description = "Label of the gateway pods allowed to reach books; repeatable (default: app.kubernetes.io/name=envoy).")
  List<String> gatewayPodLabels = new ArrayList<>();

  @Option(names = "--dns-namespace", defaultValue = "kube-system",
      description = "Namespace of the cluster DNS pods, the one destination every book pod may reach on port 53 (default: ${DEFAULT-VALUE}).")
  String dnsNamespace;

  @Option(names = "--dns-pod-label", paramLabel = "KEY=VALUE",
      description = "Label of the cluster DNS pods; repeatable (default: k8s-app=kube-dns).")
  List<String> dnsPodLabels = new ArrayList<>();

  @Option(names = "--api-server-egress", paramLabel = "CIDR:PORT",
      description = "Where Tailscale sidecars reach the Kubernetes API for their state Secret when it does not listen on 443 "
          + "(the endpoint address, not the Service IP), e.g. 172.18.0.2/32:6443; repeatable (default: none; TCP 443 is open to any address for Tailscale anyway).")
  List<String> apiServerEgress = new ArrayList<>();

  @Option(names = "--default-log-level", defaultValue = "info", description = "LOG_LEVEL of books that set none (default: ${DEFAULT-VALUE}).")
  String defaultLogLevel;

  @Option(names = "--leader-election", arity = "1", defaultValue = "true",
      description = "Campaign for a Lease so only one replica acts (default: ${DEFAULT-VALUE}; --leader-election=false for a single local process).")
  boolean leaderElection;

  @Option(names = "--lease-name", defaultValue = "book-controller", description = "Leader election Lease name (default: ${DEFAULT-VALUE}).")
  String leaseName;

  @Option(names = "--lease-namespace", defaultValue = "bdk", description = "Leader election Lease namespace (default: ${DEFAULT-VALUE}).")
  String leaseNamespace;

  @Option(names = "--identity", description = "Leader election identity (default: host name and a random suffix).")
  String identity;

  @Option(names = "--exit-on-lost-leadership", arity = "1", defaultValue = "true",
      description = "Exit the process when the Lease is lost, so the pod restarts clean (default: ${DEFAULT-VALUE}).")
  boolean exitOnLostLeadership;

  @Option(names = "--reconcile-threads", defaultValue = "8", description = "Instances reconciled concurrently (default: ${DEFAULT-VALUE}).")
  int reconcileThreads;

  private static volatile int lastAdminPort;

  /** The admin port the most recent {@link #start} bound (useful with {@code --admin-port 0}). */
  public static int lastAdminPort() {
    return lastAdminPort;
  }

  public static void main(String[] args) {
    ServiceMain.main(new Main(), args);
  }

  /** Starts everything and returns once the admin port is bound and the operator started; close() stops it. */
  public static AutoCloseable start(String... args) {
    return ServiceMain.start(new Main(), args);
  }

  @Override
  public AutoCloseable call() {
    ControllerSettings settings;
    try {
      settings = settings();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage(), e);
    }
    Closer started = new Closer();
    KubernetesClient client = started.register(kube.client());
    try {
      PrometheusMeterRegistry registry = Metrics.newRegistry("book-controller", started);
      Optional<BookController.LeaderElection> election = leaderElection
          ? Optional.of(new BookController.LeaderElection(leaseName, leaseNamespace, identity(),
              LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
              LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
              LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE, exitOnLostLeadership))
          : Optional.empty();
      BookController controller = started.register(BookController.start(client, settings, registry, election, reconcileThreads));
      AdminServer admin = started.register(this.admin.start(registry, controller::ready));
      lastAdminPort = admin.port();
      log.info("event=book_controller_started admin_port={} leader_election={}", admin.port(), leaderElection);
      return () -> {
        started.close();
        log.info("event=book_controller_stopped");
      };
    } catch (RuntimeException e) {
      started.close();
      throw e;
    }
  }

  ControllerSettings settings() {
    Map<String, String> images = runtimeImages.isEmpty()
        ? Map.of("python", "voyager/book-runtime-python:3.11")
        : ImageResolver.parseRuntimeImages(runtimeImages);
    Map<String, String> podLabels = labels("--gateway-pod-label", gatewayPodLabels, Map.of("app.kubernetes.io/name", "envoy"));
    Map<String, String> dnsLabels = labels("--dns-pod-label", dnsPodLabels, Map.of("k8s-app", "kube-dns"));
    List<ControllerSettings.ApiServerEndpoint> apiServer = apiServerEgress.stream()
        .map(v -> ControllerSettings.ApiServerEndpoint.parse("--api-server-egress", v)).toList();
    return new ControllerSettings(
        new ImageResolver(images, imageRegistry), tailscaleImage, tailscaleMode, gatewayNamespace, podLabels, defaultLogLevel,
        dnsNamespace, dnsLabels, apiServer, tailscaleKernelAllowed, duration("--sleep-after", sleepAfter),
        runManagerEndpoint == null ? null : url("--run-manager-endpoint", runManagerEndpoint));
  }

  private static java.time.Duration duration(String flag, String value) {
    try {
      return java.time.Duration.parse(value);
    } catch (java.time.format.DateTimeParseException e) {
      throw new IllegalArgumentException(flag + " must be an ISO-8601 duration such as PT15M or PT0S; got '" + value + "'");
    }
  }

  private static String url(String flag, String value) {
    try {
      java.net.URI uri = new java.net.URI(value);
      if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
        return value;
      }
    } catch (java.net.URISyntaxException e) {
      // refused below
    }
    throw new IllegalArgumentException(flag + " must be an http or https URL with a host, e.g. "
        + "http://run-manager.jeeves.svc.cluster.local; got '" + value + "'");
  }

  /** KEY=VALUE flags as a map, or the defaults when none was given; the error names the flag. */
  private static Map<String, String> labels(String flag, List<String> given, Map<String, String> defaults) {
    if (given.isEmpty()) {
      return defaults;
    }
    Map<String, String> labels = new LinkedHashMap<>();
    for (String label : given) {
      int eq = label.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(flag + " must be KEY=VALUE; got '" + label + "'");
      }
      labels.put(label.substring(0, eq), label.substring(eq + 1));
    }
    return labels;
  }

  private String identity() {
    if (identity != null) {
      return identity;
    }
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "book-controller";
    }
    return host + "-" + UUID.randomUUID().toString().substring(0, 8);
  }
}

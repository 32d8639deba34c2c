package io.voyager.bdk.xds;

import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.voyager.bdk.support.AdminOptions;
import io.voyager.bdk.support.AdminServer;
import io.voyager.bdk.support.Closer;
import io.voyager.bdk.support.GrpcServers;
import io.voyager.bdk.support.KubeconfigOption;
import io.voyager.bdk.support.Metrics;
import io.voyager.bdk.support.ServiceMain;
import io.voyager.bdk.support.auth.JwtOptions;
import io.voyager.bdk.support.auth.JwtSettings;
import io.voyager.bdk.transcoder.TranscoderSettings;
import io.voyager.bdk.xds.admin.DebugHandlers;
import io.voyager.bdk.xds.model.FixedEndpoint;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.nack.AcceptedConditionWriter;
import io.voyager.bdk.xds.nack.NackWriteBack;
import io.voyager.bdk.xds.model.PortSelector;
import io.voyager.bdk.xds.model.ServiceRef;
import io.voyager.bdk.xds.server.NackHoldingConfigWatcher;
import io.voyager.bdk.xds.server.SnapshotPublisher;
import io.voyager.bdk.xds.server.EnvoySyncGauge;
import io.voyager.bdk.xds.server.SyncTracker;
import io.voyager.bdk.xds.translate.IncrementalTranslator;
import io.voyager.bdk.xds.translate.XdsResources;
import io.voyager.bdk.xds.translate.XdsTranslator;
import io.voyager.bdk.xds.watch.BookStatusLocks;
import io.voyager.bdk.xds.watch.GatewayWatcher;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The xds-server: watches books and endpoints, serves Envoy config over ADS, admin HTTP. */
@Command(name = "xds-server", mixinStandardHelpOptions = true,
    description = "Envoy xDS control plane (ADS) computed from ExternalBookDefinitions and EndpointSlices.")
public final class Main implements Callable<AutoCloseable> {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  @Mixin KubeconfigOption kube = new KubeconfigOption();

  @Mixin AdminOptions admin = new AdminOptions("127.0.0.1", 18001);

  /** Who may call the Book Library: required (issuer, audience, one JWKS source). */
  @Mixin JwtOptions jwt = new JwtOptions();

  @Option(names = "--jwks-ca-file", paramLabel = "PATH", defaultValue = GatewaySettings.DEFAULT_JWKS_TRUSTED_CA,
      description = "CA bundle on Envoy's filesystem verifying an https --jwks-uri's certificate. Default: ${DEFAULT-VALUE}.")
  String jwksCaFile;

  @Spec CommandSpec spec;

  @Option(names = "--xds-host", defaultValue = "0.0.0.0", description = "ADS gRPC bind address. Default: ${DEFAULT-VALUE}.")
  String xdsHost;

  @Option(names = "--xds-port", defaultValue = "18000", description = "ADS gRPC port. Default: ${DEFAULT-VALUE}.")
  int xdsPort;

  @Option(names = "--listener-address", defaultValue = "127.0.0.1", description = "Envoy HTTP listener address. Default: ${DEFAULT-VALUE}.")
  String listenerAddress;

  @Option(names = "--listener-port", defaultValue = "8080", description = "Envoy HTTP listener port. Default: ${DEFAULT-VALUE}.")
  int listenerPort;

  @Option(names = "--library-service", defaultValue = "bdk/book-library", description = "Book Library Service namespace/name. Default: ${DEFAULT-VALUE}.")
  String libraryService;

  @Option(names = "--library-port-name", defaultValue = "grpc", description = "Its port name. Default: ${DEFAULT-VALUE}.")
  String libraryPortName;

  @Option(names = "--ext-authz-service", defaultValue = "bdk/ext-authz", description = "ext-authz Service namespace/name. Default: ${DEFAULT-VALUE}.")
  String extAuthzService;

  @Option(names = "--ext-authz-port-name", defaultValue = "grpc", description = "Its port name. Default: ${DEFAULT-VALUE}.")
  String extAuthzPortName;

  @Option(names = "--library-endpoint", paramLabel = "HOST:PORT", converter = FixedEndpointConverter.class,
      description = "Fixed endpoint of the library cluster (IP literal, [IPv6]:PORT) instead of the EndpointSlices of --library-service, "
          + "e.g. a library-service running outside the cluster. Default: from EndpointSlices.")
  FixedEndpoint libraryEndpoint;

  @Option(names = "--ext-authz-endpoint", paramLabel = "HOST:PORT", converter = FixedEndpointConverter.class,
      description = "Fixed endpoint of the ext-authz cluster (IP literal, [IPv6]:PORT) instead of the EndpointSlices of --ext-authz-service. "
          + "Default: from EndpointSlices.")
  FixedEndpoint extAuthzEndpoint;

  /** Turns a bad HOST:PORT into picocli's "Invalid value for option '--…-endpoint': why". */
  private static String describe(JwtSettings.JwksSource source) {
    return source instanceof JwtSettings.KubernetesJwks k ? io.voyager.bdk.xds.watch.KubeViews.describe(k)
        : ((JwtSettings.RemoteJwks) source).uri().toString();
  }

  static final class FixedEndpointConverter implements CommandLine.ITypeConverter<FixedEndpoint> {
    @Override
    public FixedEndpoint convert(String value) {
      try {
        return FixedEndpoint.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  @Option(names = "--max-request-bytes", defaultValue = "1048576", description = "Largest webhook body (ext_authz buffer); larger gets 413. Default: ${DEFAULT-VALUE}.")
  int maxRequestBytes;

  @Option(names = "--max-transcode-request-bytes", defaultValue = "1048576", description = "Largest REST request body transcoded. Default: ${DEFAULT-VALUE}.")
  int maxTranscodeRequestBytes;

  @Option(names = "--max-transcode-response-bytes", defaultValue = "4194304", description = "Largest gRPC response transcoded. Default: ${DEFAULT-VALUE}.")
  int maxTranscodeResponseBytes;

  @Option(names = "--debounce-ms", defaultValue = "100", description = "Quiet period before a rebuild. Default: ${DEFAULT-VALUE}.")
  long debounceMs;

  @Option(names = "--debounce-max-ms", defaultValue = "1000", description = "Longest a burst delays a rebuild. Default: ${DEFAULT-VALUE}.")
  long debounceMaxMs;

  @Option(names = "--node-cluster", defaultValue = "bdk-gateway", description = "Envoy node.cluster served from the start (others are added on connect). Default: ${DEFAULT-VALUE}.")
  String nodeCluster;

  /** Applied to every translation's resources before publishing; identity except in fault-injection tests. */
  private final UnaryOperator<XdsResources> outputFilter;

  public Main() {
    this(UnaryOperator.identity());
  }

  private Main(UnaryOperator<XdsResources> outputFilter) {
    this.outputFilter = outputFilter;
  }

  public static void main(String[] args) {
    ServiceMain.main(new Main(), args);
  }

  /** Starts everything; returns once the xDS and admin ports are bound and informers synced. */
  public static AutoCloseable start(String... args) {
    return ServiceMain.start(new Main(), args);
  }

  /**
   * Fault-injection seam for tests: as {@link #start(String...)}, but every translation's resources
   * pass through {@code outputFilter} before they are content-versioned and published (and NACKs
   * are attributed against the filtered resources). With {@link UnaryOperator#identity()} this is
   * exactly the production wiring. Lets an end-to-end test make the server emit a resource a real
   * Envoy refuses, which the translator itself never produces.
   */
  public static AutoCloseable start(UnaryOperator<XdsResources> outputFilter, String... args) {
    return ServiceMain.start(new Main(outputFilter), args);
  }

  @Override
  public AutoCloseable call() throws Exception {
    JwtSettings jwtSettings;
    try {
      jwtSettings = jwt.settings();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    GatewaySettings settings = new GatewaySettings(
        listenerAddress,
        listenerPort,
        ServiceRef.parse(libraryService, PortSelector.named(libraryPortName)),
        ServiceRef.parse(extAuthzService, PortSelector.named(extAuthzPortName)),
        maxRequestBytes,
        new TranscoderSettings(List.of(TranscoderSettings.BOOK_LIBRARY_SERVICE), maxTranscodeRequestBytes, maxTranscodeResponseBytes),
        libraryEndpoint,
        extAuthzEndpoint,
        jwtSettings,
        jwksCaFile);
    Closer opened = new Closer();
    try {
      PrometheusMeterRegistry registry = Metrics.newRegistry("xds-server", opened);
      KubernetesClient client = kube.client();
      opened.register(client);
      SnapshotPublisher publisher = new SnapshotPublisher(nodeCluster, registry);
      BookStatusLocks statusLocks = new BookStatusLocks();
      GatewayWatcher watcher = new GatewayWatcher(client, settings,
          new IncrementalTranslator(new XdsTranslator(settings.transcoder())), outputFilter, publisher,
          Duration.ofMillis(debounceMs), Duration.ofMillis(debounceMaxMs), registry, statusLocks);
      opened.register(watcher);
      NackWriteBack nackWriteBack = NackWriteBack.writingTo(new AcceptedConditionWriter(client, statusLocks), watcher::lastTranslation,
          new NackWriteBack.Quarantining(watcher.quarantine(), watcher::served, watcher::requestRebuild));
      opened.register(nackWriteBack);
      SyncTracker tracker = new SyncTracker(registry, publisher::ensureGroup, nackWriteBack);
      EnvoySyncGauge.register(registry, tracker, publisher::currentVersion);
      watcher.start();
      V3DiscoveryServer discovery = new V3DiscoveryServer(tracker,
          new NackHoldingConfigWatcher(publisher.cache(), tracker::rejectedResponseOfCurrentRequest));
      opened.register(GrpcServers.start(new InetSocketAddress(xdsHost, xdsPort), registry, discovery.getAggregatedDiscoveryServiceImpl()));
      AtomicReference<Boolean> ready = new AtomicReference<>(true);
      AdminServer admin = this.admin.start(registry, () -> ready.get() && publisher.current().isPresent());
      admin.handle("/debug/snapshot", DebugHandlers.snapshot(publisher));
      admin.handle("/debug/sync", DebugHandlers.sync(tracker, publisher, nackWriteBack::culprits));
      admin.handle("/debug/quarantine", DebugHandlers.quarantine(watcher.quarantine()));
      opened.register(admin);
      log.info("event=xds_server_started xds_port={} admin={}:{} listener={}:{} library={} library_endpoint={} ext_authz={} ext_authz_endpoint={}"
              + " jwt_issuer=\"{}\" jwt_audiences={} jwks=\"{}\"",
          xdsPort, this.admin.host(), admin.port(), listenerAddress, listenerPort, settings.library(),
          libraryEndpoint == null ? "eds" : libraryEndpoint, settings.extAuthz(), extAuthzEndpoint == null ? "eds" : extAuthzEndpoint,
          jwtSettings.issuer(), jwtSettings.audiences(), describe(jwtSettings.jwks()));
      return () -> {
        ready.set(false);
        opened.close();
        log.info("event=xds_server_stopped");
      };
    } catch (Exception | Error e) {
      opened.close();
      throw e;
    }
  }
}

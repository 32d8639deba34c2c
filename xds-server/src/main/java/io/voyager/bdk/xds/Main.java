package io.voyager.bdk.xds;

import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.voyager.bdk.model.WebhookDelivery;
import io.voyager.bdk.support.AdminOptions;
import io.voyager.bdk.support.AdminServer;
import io.voyager.bdk.support.Closer;
import io.voyager.bdk.support.GrpcServers;
import io.voyager.bdk.support.KubeconfigOption;
import io.voyager.bdk.support.Metrics;
import io.voyager.bdk.support.ParsingConverter;
import io.voyager.bdk.support.ServiceMain;
import io.voyager.bdk.support.auth.JwtOptions;
import io.voyager.bdk.support.auth.JwtSettings;
import io.voyager.bdk.support.tls.ServerTls;
import io.voyager.bdk.support.tls.ServerTlsOptions;
import io.voyager.bdk.transcoder.TranscoderSettings;
import io.voyager.bdk.xds.admin.DebugHandlers;
import io.voyager.bdk.xds.model.EdgeSettings;
import io.voyager.bdk.xds.model.FixedEndpoint;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.model.QueuedDeliverySettings;
import io.voyager.bdk.xds.nack.AcceptedConditionWriter;
import io.voyager.bdk.xds.nack.NackWriteBack;
import io.voyager.bdk.xds.model.PortSelector;
import io.voyager.bdk.xds.model.ServiceRef;
import io.voyager.bdk.xds.server.AggregatedDiscoveryService;
import io.voyager.bdk.xds.server.DeltaAds;
import io.voyager.bdk.xds.server.NackHoldingConfigWatcher;
import io.voyager.bdk.xds.server.NodeIdentityCheck;
import io.voyager.bdk.xds.server.ResubscriptionConfigWatcher;
import io.voyager.bdk.xds.server.SnapshotPublisher;
import io.voyager.bdk.xds.server.EnvoySyncGauge;
import io.voyager.bdk.xds.server.ProtocolMismatchCheck;
import io.voyager.bdk.xds.server.SyncTracker;
import io.voyager.bdk.xds.translate.BookClusters;
import io.voyager.bdk.xds.translate.IncrementalTranslator;
import io.voyager.bdk.xds.translate.RouteLayout;
import io.voyager.bdk.xds.translate.XdsResources;
import io.voyager.bdk.xds.translate.XdsTranslator;
import io.voyager.bdk.xds.watch.BookStatusLocks;
import io.voyager.bdk.xds.watch.GatewayWatcher;
import io.voyager.bdk.xds.watch.KubeViews;
import io.voyager.bdk.xds.watch.WatchSettings;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
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

  @Option(names = "--xds-port", defaultValue = "18000",
      description = "ADS gRPC port: state-of-the-world and delta xDS (Envoy's bootstrap chooses: api_type GRPC or DELTA_GRPC). "
          + "Default: ${DEFAULT-VALUE}.")
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

  /** The JWKS source as the start-up log line names it. */
  private static String describe(JwtSettings.JwksSource source) {
    return source instanceof JwtSettings.KubernetesJwks k ? KubeViews.describe(k)
        : ((JwtSettings.RemoteJwks) source).uri().toString();
  }

  /** Turns a bad HOST:PORT into picocli's "Invalid value for option '--…-endpoint': why". */
  static final class FixedEndpointConverter extends ParsingConverter<FixedEndpoint> {
    FixedEndpointConverter() {
      super(FixedEndpoint::parse);
    }
  }

  @Option(names = "--relay-service", defaultValue = "bdk/webhook-relay",
      description = "The webhook relay's Service (namespace/name): Envoy sends a queued binding's webhooks there after ext_authz. "
          + "'none': queued delivery off (a queued binding's route answers 503). Default: ${DEFAULT-VALUE}.")
  String relayService;

  @Option(names = "--relay-port-name", defaultValue = "http", description = "Its port name. Default: ${DEFAULT-VALUE}.")
  String relayPortName;

  @Option(names = "--relay-endpoint", paramLabel = "HOST:PORT", converter = FixedEndpointConverter.class,
      description = "Fixed endpoint of the relay cluster instead of the EndpointSlices of --relay-service. Default: from EndpointSlices.")
  FixedEndpoint relayEndpoint;

  @Option(names = "--internal-listener-address",
      description = "Address of Envoy's internal delivery listener, where the relay delivers queued webhooks back. "
          + "Default: --listener-address.")
  String internalListenerAddress;

  @Option(names = "--internal-listener-port", defaultValue = "8444",
      description = "Its port: never a public one (mutual TLS, only --relay-identity is admitted). Default: ${DEFAULT-VALUE}.")
  int internalListenerPort;

  @Option(names = "--relay-identity", defaultValue = WebhookDelivery.RELAY_IDENTITY,
      description = "URI SAN the relay's client certificate must carry on the internal listener. Default: ${DEFAULT-VALUE}.")
  String relayIdentity;

  /** Queued delivery as the flags say; null when --relay-service none. */
  QueuedDeliverySettings queuedDelivery() {
    if ("none".equals(relayService)) {
      return null;
    }
    ServiceRef relay;
    try {
      relay = ServiceRef.parse(relayService, PortSelector.named(relayPortName));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("relay-service: " + e.getMessage());
    }
    return new QueuedDeliverySettings(relay, relayEndpoint,
        internalListenerAddress == null ? listenerAddress : internalListenerAddress, internalListenerPort, relayIdentity);
  }

  @Option(names = "--route-layout", defaultValue = "scoped", paramLabel = "scoped|single", converter = RouteLayoutConverter.class,
      description = "How the public routes are laid out: scoped (scoped routes, SRDS: one small route configuration per webhook "
          + "path, so a change re-sends only its book's; needs every Envoy on delta xDS, api_type DELTA_GRPC) or single (one "
          + "route configuration, re-sent whole on any route change; for Envoys on state-of-the-world, api_type GRPC). "
          + "Default: ${DEFAULT-VALUE}.")
  RouteLayout routeLayout;

  /** A bad value is refused naming the flag and the accepted values (single, scoped). */
  static final class RouteLayoutConverter extends ParsingConverter<RouteLayout> {
    RouteLayoutConverter() {
      super(RouteLayout::parse);
    }
  }

  @Option(names = "--book-clusters", defaultValue = "on-demand", paramLabel = "on-demand|eager", converter = BookClustersConverter.class,
      description = "How Envoy gets books' clusters in the scoped layout: on-demand (left out of the wildcard CDS answer; Envoy "
          + "fetches a book's cluster by name when a request that passed ext_authz first needs it) or eager (every cluster at once). "
          + "The single layout is always eager. Default: ${DEFAULT-VALUE}.")
  BookClusters bookClusters;

  /** A bad value is refused naming the flag and the accepted values (eager, on-demand). */
  static final class BookClustersConverter extends ParsingConverter<BookClusters> {
    BookClustersConverter() {
      super(BookClusters::ofFlag);
    }
  }

  @Option(names = "--held-books-limit", defaultValue = DeltaAds.DEFAULT_HELD_BOOKS_LIMIT, paramLabel = "N",
      description = "Most books whose on-demand route configurations and clusters one Envoy (delta stream) holds; past it the "
          + "least recently fetched book is unloaded from that Envoy (its scope moved to its other route configuration name, "
          + "its cluster removed) and reloaded on its next request. 0: no bound. Scoped layout with on-demand clusters only. "
          + "Default: ${DEFAULT-VALUE}.")
  int heldBooksLimit;

  @Option(names = "--max-request-bytes", defaultValue = "1048576", description = "Largest webhook body (ext_authz buffer); larger gets 413. Default: ${DEFAULT-VALUE}.")
  int maxRequestBytes;

  @Option(names = "--max-transcode-request-bytes", defaultValue = "1048576", description = "Largest REST request body transcoded. Default: ${DEFAULT-VALUE}.")
  int maxTranscodeRequestBytes;

  @Option(names = "--max-transcode-response-bytes", defaultValue = "4194304", description = "Largest gRPC response transcoded. Default: ${DEFAULT-VALUE}.")
  int maxTranscodeResponseBytes;

  @Option(names = "--debounce-ms", defaultValue = WatchSettings.DEFAULT_DEBOUNCE_MS, description = "Quiet period that coalesces"
      + " events following a rebuild (a change after a pause rebuilds at once; while events keep coming, a rebuild never starts"
      + " sooner after the last ended than that one took). Default: ${DEFAULT-VALUE}.")
  long debounceMs;

  @Option(names = "--first-endpoints-grace-ms", defaultValue = "30000", description = "How long a book added while the"
      + " gateway runs is held out (404) until its Service has a ready endpoint, so its route never reaches Envoy before its"
      + " endpoints (503); after that it is routed without. 0: never held. Default: ${DEFAULT-VALUE}.")
  long firstEndpointsGraceMs;

  @Option(names = "--debounce-max-ms", defaultValue = "1000", description = "Longest a burst delays a rebuild. Default: ${DEFAULT-VALUE}.")
  long debounceMaxMs;

  /** The ADS server's own TLS: mutual TLS (the default) or --plaintext. */
  @Mixin ServerTlsOptions adsTls = new ServerTlsOptions();

  @Option(names = "--https-listener-port", defaultValue = "8443",
      description = "Envoy HTTPS listener port (TLS 1.2+, ALPN h2 and http/1.1). Default: ${DEFAULT-VALUE}.")
  int httpsListenerPort;

  @Option(names = "--edge-tls-secret", paramLabel = "NS/NAME", defaultValue = "bdk/bdk-edge-tls",
      description = "The kubernetes.io/tls Secret (tls.crt, tls.key; what cert-manager writes) whose certificate the HTTPS listener "
          + "serves, sent to Envoy over SDS; watched, a renewal is served without a restart. 'none': no HTTPS listener. "
          + "Default: ${DEFAULT-VALUE}.")
  String edgeTlsSecret;

  @Option(names = "--plain-http", defaultValue = "serve",
      description = "What the plain HTTP listener does: serve (every route, as HTTPS does; local use) or redirect (only a 308 to https; "
          + "k8s/deploy). Default: ${DEFAULT-VALUE}.")
  String plainHttp;

  @Option(names = "--xff-num-trusted-hops", defaultValue = "0",
      description = "Proxies in front of Envoy (a load balancer appending X-Forwarded-For) whose entries are trusted; 0: the client "
          + "is the TCP peer. Default: ${DEFAULT-VALUE}.")
  int xffTrustedHops;

  @Option(names = "--request-headers-timeout", defaultValue = "PT10S", converter = DurationConverter.class,
      description = "Time a client has to send a request's complete headers. Default: ${DEFAULT-VALUE}.")
  Duration requestHeadersTimeout;

  @Option(names = "--stream-idle-timeout", defaultValue = "PT60S", converter = DurationConverter.class,
      description = "A request or response stream idle this long is reset. Default: ${DEFAULT-VALUE}.")
  Duration streamIdleTimeout;

  @Option(names = "--max-request-headers-kb", defaultValue = "60",
      description = "Largest request header block (KiB); larger gets 431. Default: ${DEFAULT-VALUE}.")
  int maxRequestHeadersKb;

  @Option(names = "--http2-max-concurrent-streams", defaultValue = "100", description = "HTTP/2 streams per connection. Default: ${DEFAULT-VALUE}.")
  int http2MaxConcurrentStreams;

  @Option(names = "--http2-initial-stream-window-bytes", defaultValue = "65536",
      description = "HTTP/2 initial stream window. Default: ${DEFAULT-VALUE}.")
  int http2StreamWindow;

  @Option(names = "--http2-initial-connection-window-bytes", defaultValue = "1048576",
      description = "HTTP/2 initial connection window. Default: ${DEFAULT-VALUE}.")
  int http2ConnectionWindow;

  @Option(names = "--webhook-client-rate", defaultValue = "50",
      description = "Webhook requests per second per client address, checked by Envoy before any signature work (429 beyond). "
          + "Default: ${DEFAULT-VALUE}.")
  int webhookClientRate;

  @Option(names = "--webhook-client-burst", defaultValue = "100", description = "Burst of that per-address limit. Default: ${DEFAULT-VALUE}.")
  int webhookClientBurst;

  @Option(names = "--webhook-client-max-addresses", defaultValue = "10000",
      description = "Client addresses tracked at most (least recently used forgotten). Default: ${DEFAULT-VALUE}.")
  int webhookClientMaxAddresses;

  @Option(names = "--upstream-tls", defaultValue = "mtls",
      description = "How Envoy reaches ext-authz and the library-service: mtls (client certificate, server certificate verified against "
          + "the internal CA and the Service's name <name>.<namespace>.svc) or off (only with services started --plaintext). "
          + "Default: ${DEFAULT-VALUE}.")
  String upstreamTls;

  @Option(names = "--envoy-sds-dir", defaultValue = EdgeSettings.MutualTlsUpstreams.DEFAULT_DIRECTORY,
      description = "Directory on Envoy's filesystem holding its filesystem-SDS files internal-client.yaml and internal-ca.yaml "
          + "(Envoy's client certificate and the internal CA; the bootstrap's ADS connection uses the same). Default: ${DEFAULT-VALUE}.")
  String envoySdsDir;

  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return Duration.parse(value);
      } catch (java.time.format.DateTimeParseException e) {
        throw new CommandLine.TypeConversionException("not an ISO-8601 duration (e.g. PT10S): '" + value + "'");
      }
    }
  }

  /** The edge settings of the flags; IllegalArgumentException naming the flag otherwise. */
  EdgeSettings edgeSettings() {
    EdgeSettings.SecretName secret;
    try {
      secret = "none".equals(edgeTlsSecret) ? null : EdgeSettings.SecretName.parse(edgeTlsSecret);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("edge-tls-secret: " + e.getMessage());
    }
    EdgeSettings.PlainHttp plain = switch (plainHttp) {
      case "serve" -> EdgeSettings.PlainHttp.SERVE;
      case "redirect" -> EdgeSettings.PlainHttp.REDIRECT;
      default -> throw new IllegalArgumentException("plain-http: must be serve or redirect, got '" + plainHttp + "'");
    };
    EdgeSettings.UpstreamTls upstream = switch (upstreamTls) {
      case "mtls" -> new EdgeSettings.MutualTlsUpstreams(envoySdsDir);
      case "off" -> new EdgeSettings.PlaintextUpstreams();
      default -> throw new IllegalArgumentException("upstream-tls: must be mtls or off, got '" + upstreamTls + "'");
    };
    return new EdgeSettings(httpsListenerPort, secret, plain, xffTrustedHops,
        new EdgeSettings.Limits(requestHeadersTimeout, streamIdleTimeout, maxRequestHeadersKb,
            http2MaxConcurrentStreams, http2StreamWindow, http2ConnectionWindow),
        new EdgeSettings.ClientLimit(webhookClientRate, webhookClientBurst, webhookClientMaxAddresses),
        upstream);
  }

  @Option(names = "--node-cluster", defaultValue = "bdk-gateway", description = "Envoy node.cluster served from the start (others are added on connect). Default: ${DEFAULT-VALUE}.")
  String nodeCluster;

  /** Applied to every translation's resources before publishing; identity except in fault-injection tests. */
  private final UnaryOperator<XdsResources> outputFilter;
  /** A test's callback run first on every xDS request (null in production). */
  private final io.envoyproxy.controlplane.server.DiscoveryServerCallbacks requestSeam;

  public Main() {
    this(UnaryOperator.identity());
  }

  private Main(UnaryOperator<XdsResources> outputFilter) {
    this(outputFilter, null);
  }

  private Main(UnaryOperator<XdsResources> outputFilter,
      io.envoyproxy.controlplane.server.DiscoveryServerCallbacks requestSeam) {
    this.outputFilter = outputFilter;
    this.requestSeam = requestSeam;
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

  /**
   * Test seam: as {@link #start(UnaryOperator, String...)}, with {@code requestSeam} run first on
   * every ADS request and stream event, before the identity check (it may delay a request, as a
   * slow network would: a delta stream's requests are handled in order, its responses to new
   * snapshots are not held up).
   */
  public static AutoCloseable start(UnaryOperator<XdsResources> outputFilter,
      io.envoyproxy.controlplane.server.DiscoveryServerCallbacks requestSeam, String... args) {
    return ServiceMain.start(new Main(outputFilter, requestSeam), args);
  }

  @Override
  public AutoCloseable call() throws Exception {
    JwtSettings jwtSettings;
    EdgeSettings edge;
    ServerTls tls;
    try {
      jwtSettings = jwt.settings();
      edge = edgeSettings();
      tls = adsTls.tls();
      if (firstEndpointsGraceMs < 0) {
        throw new IllegalArgumentException("first-endpoints-grace-ms: must be at least 0 (0: a new book is never held), got "
            + firstEndpointsGraceMs);
      }
      if (heldBooksLimit < 0) {
        throw new IllegalArgumentException("held-books-limit: must be 0 (off) or more, got " + heldBooksLimit);
      }
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    GatewaySettings settings;
    try {
      settings = new GatewaySettings(
        listenerAddress,
        listenerPort,
        ServiceRef.parse(libraryService, PortSelector.named(libraryPortName)),
        ServiceRef.parse(extAuthzService, PortSelector.named(extAuthzPortName)),
        maxRequestBytes,
        new TranscoderSettings(List.of(TranscoderSettings.BOOK_LIBRARY_SERVICE), maxTranscodeRequestBytes, maxTranscodeResponseBytes),
        libraryEndpoint,
        extAuthzEndpoint,
        jwtSettings,
        jwksCaFile,
        edge,
        queuedDelivery());
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    Closer opened = new Closer();
    try {
      PrometheusMeterRegistry registry = Metrics.newRegistry("xds-server", opened);
      KubernetesClient client = kube.client();
      opened.register(client);
      SnapshotPublisher publisher = new SnapshotPublisher(nodeCluster, registry);
      BookStatusLocks statusLocks = new BookStatusLocks();
      WatchSettings watch = WatchSettings.defaults()
          .withDebounce(Duration.ofMillis(debounceMs), Duration.ofMillis(debounceMaxMs))
          .withFirstEndpointsGrace(Duration.ofMillis(firstEndpointsGraceMs))
          .withOutputFilter(outputFilter);
      GatewayWatcher watcher = new GatewayWatcher(client, settings,
          new IncrementalTranslator(new XdsTranslator(settings.transcoder(), routeLayout, true, bookClusters)), publisher,
          statusLocks, registry, watch);
      opened.register(watcher);
      NackWriteBack nackWriteBack = NackWriteBack.writingTo(new AcceptedConditionWriter(client, statusLocks), watcher::lastTranslation,
          new NackWriteBack.Quarantining(watcher.quarantine(), watcher::served, watcher::requestRebuild));
      opened.register(nackWriteBack);
      SyncTracker tracker = new SyncTracker(registry, publisher::ensureGroup, nackWriteBack);
      EnvoySyncGauge.register(registry, tracker, publisher::currentVersion);
      watcher.start();
      // With mutual TLS, a stream must first pass the node identity check: the tracker (and so the
      // NACK write-back and its quarantine) only hears Envoys whose certificate names their node.
      // Envoys on state-of-the-world under the scoped layout get no route scopes: said once per
      // stream in the log, on /debug/sync and in a gauge.
      ProtocolMismatchCheck mismatchCheck = new ProtocolMismatchCheck(registry, routeLayout.flagValue(),
          routeLayout == RouteLayout.SCOPED);
      List<io.envoyproxy.controlplane.server.DiscoveryServerCallbacks> callbacks = tls instanceof ServerTls.MutualTls
          ? List.of(new NodeIdentityCheck(registry), tracker, mismatchCheck)
          : List.of(tracker, mismatchCheck);
      if (requestSeam != null) {
        callbacks = Stream.concat(Stream.of(requestSeam), callbacks.stream()).toList();
      }
      // State-of-the-world from java-control-plane, EDS names the snapshot lacks answered as empty
      // load assignments instead of holding every EDS answer back; delta from our own DeltaAds.
      V3DiscoveryServer discovery = new V3DiscoveryServer(callbacks,
          new ResubscriptionConfigWatcher(
              new NackHoldingConfigWatcher(publisher.cache(), tracker::rejectedResponseOfCurrentRequest),
              tracker::newlySubscribedOfCurrentRequest),
          new io.envoyproxy.controlplane.server.DefaultExecutorGroup(),
          new io.envoyproxy.controlplane.server.serializer.DefaultProtoResourcesSerializer(),
          () -> true);
      DeltaAds delta = DeltaAds.serving(publisher, callbacks, heldBooksLimit, registry);
      opened.register(GrpcServers.start(new InetSocketAddress(xdsHost, xdsPort), registry, tls,
          new AggregatedDiscoveryService(discovery.getAggregatedDiscoveryServiceImpl(), delta)));
      AtomicReference<Boolean> ready = new AtomicReference<>(true);
      AdminServer admin = this.admin.start(registry, () -> ready.get() && publisher.current().isPresent());
      admin.handle("/debug/snapshot", DebugHandlers.snapshot(publisher));
      admin.handle("/debug/sync", DebugHandlers.sync(tracker, publisher, nackWriteBack::culprits, mismatchCheck::report));
      admin.handle("/debug/quarantine", DebugHandlers.quarantine(watcher.quarantine()));
      opened.register(admin);
      log.info("event=xds_server_started xds_port={} ads_tls={} admin={}:{} listener={}:{} https_port={} edge_tls_secret={} plain_http={}"
              + " upstream_tls={} library={} library_endpoint={} ext_authz={} ext_authz_endpoint={} relay={} internal_listener={}"
              + " jwt_issuer=\"{}\" jwt_audiences={} jwks=\"{}\" route_layout={} book_clusters={}",
          xdsPort, tls instanceof ServerTls.MutualTls ? "mutual" : "off", this.admin.host(), admin.port(),
          listenerAddress, listenerPort, edge.httpsPort(), edge.tlsSecret() == null ? "none" : edge.tlsSecret(), plainHttp,
          upstreamTls, settings.library(),
          libraryEndpoint == null ? "eds" : libraryEndpoint, settings.extAuthz(), extAuthzEndpoint == null ? "eds" : extAuthzEndpoint,
          settings.queued() == null ? "none" : settings.queued().relay() + (relayEndpoint == null ? "" : "@" + relayEndpoint),
          settings.queued() == null ? "none" : settings.queued().internalAddress() + ":" + settings.queued().internalPort(),
          jwtSettings.issuer(), jwtSettings.audiences(), describe(jwtSettings.jwks()), routeLayout.flagValue(),
          routeLayout == RouteLayout.SCOPED ? bookClusters.flagValue() : "eager");
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

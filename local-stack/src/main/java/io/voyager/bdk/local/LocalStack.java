package io.voyager.bdk.local;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.nats.NatsServerBinary;
import io.voyager.bdk.nats.NatsServerProcess;
import io.voyager.bdk.support.KubeClients;
import io.voyager.bdk.support.auth.DevIssuer;
import io.voyager.bdk.xds.translate.RouteLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole gateway tier on one machine, in one JVM plus one Envoy process: an embedded
 * Kubernetes API (or a cluster given by kubeconfig), the services started in-process through their
 * {@code Main.start(args)} with explicit ports, and a real Envoy whose only static config is the
 * xDS cluster. Used by {@code make run} ({@link LocalStackMain}) and by the end-to-end tests.
 *
 * <p>{@link #close()} stops everything it started, newest first.
 */
public final class LocalStack implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LocalStack.class);

  /**
   * Customer namespaces of the demo organizations ({@link LocalOrganizations}), beside {@code bdk}:
   * the embedded API starts with them; an external cluster gets each only if it is missing.
   */
  public static final List<String> SEED_CUSTOMER_NAMESPACES = LocalOrganizations.namespaces();
  public static final String LIBRARY_SERVICE = "book-library";
  public static final String EXT_AUTHZ_SERVICE = "ext-authz";
  public static final String GRPC_PORT_NAME = "grpc";
  public static final String RELAY_SERVICE = "webhook-relay";
  public static final String RELAY_PORT_NAME = "http";
  public static final String LOCALHOST = "127.0.0.1";
  /** The gateway's internal delivery route the relay POSTs to (a --delivery-url template path). */
  public static final String RELAY_DELIVERY_PATH = "/bdk-internal/v1/deliveries/{namespace}/{name}/{integration}";

  private final StackPorts ports;
  private final Path runDir;
  private final Path kubeconfig;
  private final EmbeddedKubernetes embeddedKubernetes;
  private final KubernetesClient client;
  private final Map<Component, AutoCloseable> services;
  private final EnvoyProcess envoy;
  private final Deque<AutoCloseable> toClose;
  private final List<String> createdNamespaces;
  private final DevIssuer issuer;
  private final LocalIssuer.Publication jwksPublication;
  private final List<String> createdOrganizations;
  private final LocalTls tls;
  private final Map<Component, List<String>> startArgs;
  private final NatsServerProcess nats;
  private final AdsApiType adsApiType;
  private final RouteLayout routeLayout;

  private LocalStack(StackPorts ports, Path runDir, Path kubeconfig, EmbeddedKubernetes embeddedKubernetes,
      KubernetesClient client, Map<Component, AutoCloseable> services, EnvoyProcess envoy,
      Deque<AutoCloseable> toClose, List<String> createdNamespaces, DevIssuer issuer,
      LocalIssuer.Publication jwksPublication, List<String> createdOrganizations, NatsServerProcess nats, LocalTls tls,
      Map<Component, List<String>> startArgs, AdsApiType adsApiType, RouteLayout routeLayout) {
    this.adsApiType = adsApiType;
    this.routeLayout = routeLayout;
    this.tls = tls;
    this.startArgs = Map.copyOf(startArgs);
    this.nats = nats;
    this.ports = ports;
    this.runDir = runDir;
    this.kubeconfig = kubeconfig;
    this.embeddedKubernetes = embeddedKubernetes;
    this.client = client;
    this.services = services;
    this.envoy = envoy;
    this.toClose = toClose;
    this.createdNamespaces = List.copyOf(createdNamespaces);
    this.issuer = issuer;
    this.jwksPublication = jwksPublication;
    this.createdOrganizations = List.copyOf(createdOrganizations);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Ports as bound (the embedded API's and Envoy admin's actual ports filled in). */
  public StackPorts ports() {
    return ports;
  }

  public Path runDir() {
    return runDir;
  }

  /** The kubeconfig every service was given. */
  public Path kubeconfig() {
    return kubeconfig;
  }

  /** True when the stack runs its own embedded Kubernetes API (no --kubeconfig given). */
  public boolean embedded() {
    return embeddedKubernetes != null;
  }

  /**
   * Namespaces the stack created in an external cluster because they were missing (empty when
   * embedded: the embedded API is seeded from scratch every time).
   */
  public List<String> createdNamespaces() {
    return createdNamespaces;
  }

  /** The stack's token issuer (its keys are also in {@code <run dir>/auth/issuer.json}, what bdkctl token reads). */
  public DevIssuer issuer() {
    return issuer;
  }

  /** What happened to the JWKS ConfigMap {@code bdk/bdk-jwks} at start. */
  public LocalIssuer.Publication jwksPublication() {
    return jwksPublication;
  }

  /** The demo Organizations the stack created (those that were missing). */
  public List<String> createdOrganizations() {
    return createdOrganizations;
  }

  /** A client for the stack's Kubernetes API (closed with the stack). */
  public KubernetesClient kubernetes() {
    return client;
  }

  /** Publishes local processes as Services + EndpointSlices in the stack's Kubernetes API. */
  public LocalServiceEndpoints endpoints() {
    return new LocalServiceEndpoints(client);
  }

  public EnvoyProcess envoy() {
    return envoy;
  }

  /** The nats-server the webhook relay uses (null when the relay is left out). */
  public NatsServerProcess nats() {
    return nats;
  }

  /** Base URL of Envoy's plain HTTP listener, e.g. {@code http://127.0.0.1:8080}. */
  public String gatewayUrl() {
    return "http://" + LOCALHOST + ":" + ports.envoyListener();
  }

  /** Base URL of Envoy's HTTPS listener, e.g. {@code https://127.0.0.1:8443} (trust {@link LocalTls#edgeCaFile()}). */
  public String httpsUrl() {
    return "https://" + LOCALHOST + ":" + ports.envoyHttps();
  }

  /** The flags {@code component} was started with (TLS, JWT and ports included): to start it again. */
  public List<String> startArgs(Component component) {
    List<String> args = startArgs.get(component);
    if (args == null) {
      throw new IllegalArgumentException(component + " is not part of this stack");
    }
    return args;
  }

  /**
   * The bootstrap of one more Envoy on this stack's xds-server, as node {@code nodeId}: the stack's
   * ADS protocol and certificates, its admin on a free port (another replica, or a rollout's new
   * Envoy; it shares the listener ports with the stack's Envoy).
   */
  public String envoyBootstrap(String nodeId) {
    return EnvoyBootstrap.withAdsApiType(EnvoyBootstrap.render(nodeId, ports.xds(), 0,
        runDir.resolve("envoy-sds").toAbsolutePath()), adsApiType);
  }

  /** How the stack's Envoy asks the xds-server for its config (state-of-the-world or delta). */
  public AdsApiType adsApiType() {
    return adsApiType;
  }

  /** The xds-server's route layout ({@code --route-layout}) this stack started it with. */
  public RouteLayout routeLayout() {
    return routeLayout;
  }

  /** The stack's CAs and certificates (edge and internal). */
  public LocalTls tls() {
    return tls;
  }

  public Set<Component> components() {
    return Collections.unmodifiableSet(services.keySet());
  }

  /** Stops one in-process service now (e.g. to test what Envoy does without it). */
  public void stop(Component component) throws Exception {
    AutoCloseable service = services.remove(component);
    if (service != null) {
      toClose.remove(service);
      service.close();
      log.info("event=service_stopped service={}", component.displayName());
    }
  }

  @Override
  public void close() {
    closeAll(toClose);
  }

  /**
   * The flags each service gets from the stack (pure), with every backend found through
   * EndpointSlices, WITHOUT TLS ({@code --plaintext}, upstream TLS off): for tests that run the
   * services without Envoy. The stack itself uses {@link #serviceArgs(Component, StackPorts, Path, Set, List, TlsArgs)}.
   */
  public static List<String> serviceArgs(Component component, StackPorts ports, Path kubeconfig) {
    return serviceArgs(component, ports, kubeconfig, Set.of());
  }

  /** As {@link #serviceArgs(Component, StackPorts, Path, Set, List)} with the local issuer's JWT flags. */
  public static List<String> serviceArgs(Component component, StackPorts ports, Path kubeconfig,
      Set<Component> fixedEndpoints) {
    return serviceArgs(component, ports, kubeconfig, fixedEndpoints, LocalIssuer.jwtFlags());
  }

  /**
   * The flags each service gets from the stack (pure). For each of {@link Component#LIBRARY} and
   * {@link Component#EXT_AUTHZ} in {@code fixedEndpoints}, the xds-server gets a fixed endpoint at
   * its local port ({@code --library-endpoint}, {@code --ext-authz-endpoint}) instead of reading
   * the Service's EndpointSlices — how the stack reaches its own services with a real cluster. The
   * xds-server and the library-service both get {@code jwtFlags} (the same token rule).
   */
  public static List<String> serviceArgs(Component component, StackPorts ports, Path kubeconfig,
      Set<Component> fixedEndpoints, List<String> jwtFlags) {
    return serviceArgs(component, ports, kubeconfig, fixedEndpoints, jwtFlags, null);
  }

  /**
   * What the stack's TLS adds to the flags: each gRPC server's certificate files, and the
   * xds-server's directory of Envoy's SDS files.
   */
  public record TlsArgs(LocalTls tls, Path envoySdsDir) {}

  /** As above; with {@code tls} null the gRPC servers get {@code --plaintext} and the xds-server {@code --upstream-tls off}. */
  public static List<String> serviceArgs(Component component, StackPorts ports, Path kubeconfig,
      Set<Component> fixedEndpoints, List<String> jwtFlags, TlsArgs tls) {
    List<String> args = new ArrayList<>(List.of("--kubeconfig", kubeconfig.toString()));
    switch (component) {
      case LIBRARY -> args.addAll(List.of(
          "--grpc-host", LOCALHOST,
          "--grpc-port", Integer.toString(ports.libraryGrpc()),
          "--admin-host", LOCALHOST,
          "--admin-port", Integer.toString(ports.libraryAdmin())));
      case EXT_AUTHZ -> args.addAll(List.of(
          "--grpc-host", LOCALHOST,
          "--grpc-port", Integer.toString(ports.extAuthzGrpc()),
          "--admin-host", LOCALHOST,
          "--admin-port", Integer.toString(ports.extAuthzAdmin())));
      case XDS -> args.addAll(List.of(
          "--xds-host", LOCALHOST,
          "--xds-port", Integer.toString(ports.xds()),
          "--admin-host", LOCALHOST,
          "--admin-port", Integer.toString(ports.xdsAdmin()),
          "--listener-address", LOCALHOST,
          "--listener-port", Integer.toString(ports.envoyListener()),
          "--https-listener-port", Integer.toString(ports.envoyHttps()),
          "--internal-listener-port", Integer.toString(ports.envoyInternal())));
      // One controller in the stack's JVM: no leader election (losing a lease must not exit the JVM).
      case CONTROLLER -> args.addAll(List.of(
          "--admin-host", LOCALHOST,
          "--admin-port", Integer.toString(ports.controllerAdmin()),
          "--leader-election", "false"));
      case LOCAL_RUNTIME -> args.addAll(List.of(
          "--admin-host", LOCALHOST,
          "--admin-port", Integer.toString(ports.runtimeAdmin())));
      // Delivers through the gateway's internal delivery listener (https, mutual TLS; without TLS
      // the stack's plaintext variant, for tests that run the services without Envoy).
      // Wakes sleeping webhook-triggered books through their wake Leases before delivering.
      case RELAY -> args.addAll(List.of(
          "--wake-books",
          "--nats-url", "nats://" + LOCALHOST + ":" + ports.nats(),
          "--http-host", LOCALHOST,
          "--http-port", Integer.toString(ports.relayHttp()),
          "--admin-host", LOCALHOST,
          "--admin-port", Integer.toString(ports.relayAdmin()),
          "--delivery-url", (tls == null ? "http" : "https") + "://" + LOCALHOST + ":" + ports.envoyInternal()
              + RELAY_DELIVERY_PATH));
    }
    if (component == Component.XDS || component == Component.LIBRARY) {
      args.addAll(jwtFlags);
    }
    if (LocalTls.SERVICE_NAMES.containsKey(component) || component == Component.RELAY) {
      if (tls == null) {
        args.add("--plaintext");
      } else {
        args.addAll(tls.tls().serverFlags(component));
      }
    }
    if (component == Component.XDS) {
      if (tls == null) {
        args.addAll(List.of("--upstream-tls", "off"));
      } else {
        args.addAll(List.of("--envoy-sds-dir", tls.envoySdsDir().toAbsolutePath().toString()));
      }
    }
    if (component == Component.XDS) {
      if (fixedEndpoints.contains(Component.LIBRARY)) {
        args.addAll(List.of("--library-endpoint", LOCALHOST + ":" + ports.libraryGrpc()));
      }
      if (fixedEndpoints.contains(Component.EXT_AUTHZ)) {
        args.addAll(List.of("--ext-authz-endpoint", LOCALHOST + ":" + ports.extAuthzGrpc()));
      }
      if (fixedEndpoints.contains(Component.RELAY)) {
        args.addAll(List.of("--relay-endpoint", LOCALHOST + ":" + ports.relayHttp()));
      }
    }
    return args;
  }

  private static void closeAll(Deque<AutoCloseable> resources) {
    while (!resources.isEmpty()) {
      AutoCloseable resource = resources.pop();
      try {
        resource.close();
      } catch (Exception e) {
        log.warn("event=stop_failed resource={} error=\"{}\"", resource.getClass().getName(), e.toString());
      }
    }
  }

  /** Options of one stack. */
  public static final class Builder {
    private StackPorts ports = StackPorts.defaults();
    private Path runDir = Path.of(".run");
    private Path projectRoot = ProjectRoot.get();
    private Path externalKubeconfig;
    private Path envoyBinary;
    private int envoyConcurrency = 1;
    private String nodeId = "gateway-local";
    private Duration envoyTimeout = Duration.ofSeconds(60);
    private AdsApiType adsApiType = AdsApiType.DELTA_GRPC;
    /** Null: follows {@link #adsApiType} (scoped on delta xDS, the default; single on state-of-the-world). */
    private RouteLayout routeLayout;
    private UnaryOperator<String> bootstrapEdit = UnaryOperator.identity();
    private boolean awaitGatewayListener = true;
    private final EnumSet<Component> components = EnumSet.allOf(Component.class);
    private final Map<Component, List<String>> extraArgs = new EnumMap<>(Component.class);
    private final Map<Component, ServiceStarter> starters = new EnumMap<>(Component.class);
    private final Map<Component, List<String>> jwtFlags = new EnumMap<>(Component.class);

    private Builder() {}

    /**
     * The JWT flags of the xds-server and the library-service instead of the local issuer's
     * ({@link LocalIssuer#jwtFlags()}); e.g. a {@code --jwks-uri} (tests). The local issuer is
     * created and published anyway.
     */
    public Builder jwtFlags(String... flags) {
      jwtFlags(Component.XDS, flags);
      return jwtFlags(Component.LIBRARY, flags);
    }

    /** As {@link #jwtFlags(String...)}, for one of the two services only. */
    public Builder jwtFlags(Component component, String... flags) {
      if (component != Component.XDS && component != Component.LIBRARY) {
        throw new IllegalArgumentException(component + " takes no JWT flags");
      }
      jwtFlags.put(component, List.of(flags));
      return this;
    }

    public Builder ports(StackPorts ports) {
      this.ports = ports;
      return this;
    }

    /** Where the kubeconfig, Envoy's bootstrap, admin address file and log go. */
    public Builder runDir(Path runDir) {
      this.runDir = runDir;
      return this;
    }

    /** The checkout root, where {@code .venv} is looked for (default: {@code -Dproject.root} or cwd). */
    public Builder projectRoot(Path projectRoot) {
      this.projectRoot = projectRoot;
      return this;
    }

    /** Use this cluster instead of the embedded API (null = embedded). */
    public Builder kubeconfig(Path kubeconfig) {
      this.externalKubeconfig = kubeconfig;
      return this;
    }

    /** The Envoy binary (null = {@link EnvoyBinary#locate(Path)}). */
    public Builder envoyBinary(Path envoyBinary) {
      this.envoyBinary = envoyBinary;
      return this;
    }

    public Builder envoyConcurrency(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("envoy concurrency must be >= 1, got " + threads);
      }
      this.envoyConcurrency = threads;
      return this;
    }

    public Builder nodeId(String nodeId) {
      this.nodeId = nodeId;
      return this;
    }

    /** How long to wait for Envoy to be ready and for its listener to arrive by xDS. */
    public Builder envoyTimeout(Duration timeout) {
      this.envoyTimeout = timeout;
      return this;
    }

    /**
     * How Envoy's bootstrap asks for its config: delta xDS ({@code DELTA_GRPC}, the default) or
     * state-of-the-world ({@code GRPC}). Unless {@link #routeLayout} is set, the route layout follows:
     * scoped on delta, single on state-of-the-world (the xds-server serves route scopes over delta only).
     */
    public Builder adsApiType(AdsApiType apiType) {
      this.adsApiType = Objects.requireNonNull(apiType, "apiType");
      return this;
    }

    /**
     * How the xds-server lays out the public routes (its {@code --route-layout}; default: scoped,
     * or single when Envoy is put on state-of-the-world). The scoped layout needs delta xDS, so it
     * also switches Envoy to {@link AdsApiType#DELTA_GRPC}; {@link #start()} refuses scoped with a
     * later {@code adsApiType(GRPC)}.
     */
    public Builder routeLayout(RouteLayout layout) {
      this.routeLayout = Objects.requireNonNull(layout, "layout");
      if (layout == RouteLayout.SCOPED) {
        this.adsApiType = AdsApiType.DELTA_GRPC;
      }
      return this;
    }

    /** The layout {@link #start()} gives the xds-server: the one set, else the one {@link #adsApiType} implies. */
    public RouteLayout routeLayout() {
      if (routeLayout != null) {
        return routeLayout;
      }
      return adsApiType == AdsApiType.DELTA_GRPC
          ? RouteLayout.SCOPED : RouteLayout.SINGLE;
    }

    /** Tests: changes the rendered bootstrap YAML (e.g. adds a static cluster) before Envoy starts on it. */
    public Builder envoyBootstrap(UnaryOperator<String> edit) {
      this.bootstrapEdit = edit;
      return this;
    }

    /**
     * Whether {@link #start()} waits for the gateway's listener to arrive by xDS (default true);
     * a test whose xds-server serves no listener at first waits for Envoy's /ready only.
     */
    public Builder awaitGatewayListener(boolean await) {
      this.awaitGatewayListener = await;
      return this;
    }

    /** Leaves components out (e.g. a test that does not need the controller). */
    public Builder without(Component... left) {
      for (Component component : left) {
        components.remove(component);
      }
      return this;
    }

    /** Appends flags for one service after the ones the stack sets. */
    public Builder serviceArgs(Component component, String... args) {
      extraArgs.computeIfAbsent(component, c -> new ArrayList<>()).addAll(List.of(args));
      return this;
    }

    /** Starts a component with this starter instead of its Main (tests). */
    public Builder starter(Component component, ServiceStarter starter) {
      starters.put(component, starter);
      return this;
    }

    /**
     * Starts everything and returns once Envoy is ready with its listener from xDS. On failure,
     * whatever had started is stopped again before the exception propagates.
     */
    public LocalStack start() throws Exception {
      Deque<AutoCloseable> started = new ArrayDeque<>();
      try {
        Files.createDirectories(runDir);
        EmbeddedKubernetes embedded = null;
        Path kubeconfig = externalKubeconfig;
        StackPorts bound = ports;
        if (kubeconfig == null) {
          embedded = EmbeddedKubernetes.start(ports.kubeApi(), runDir.resolve("kubeconfig"));
          started.push(embedded);
          kubeconfig = embedded.kubeconfig().toAbsolutePath();
          bound = bound.withKubeApi(embedded.port());
        } else if (!Files.isReadable(kubeconfig)) {
          throw new IllegalArgumentException("--kubeconfig " + kubeconfig + " is not a readable file");
        }
        KubernetesClient client = KubeClients.builder()
            .withConfig(Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString()))
            .build();
        started.push(client);
        boolean external = embedded == null;
        List<String> createdNamespaces = List.of();
        DevIssuer issuer = LocalIssuer.create(runDir);
        LocalTls tls = LocalTls.create(runDir);
        Path envoySds = tls.writeEnvoySds(runDir.resolve("envoy-sds").toAbsolutePath());
        Set<Component> running = effectiveComponents(components, external);
        Set<Component> fixedEndpoints = EnumSet.noneOf(Component.class);
        if (external) {
          createdNamespaces = seedExternal(new LocalServiceEndpoints(client));
          running.stream().filter(c -> c == Component.LIBRARY || c == Component.EXT_AUTHZ || c == Component.RELAY)
              .forEach(fixedEndpoints::add);
          log.info("event=external_cluster kubeconfig={} created_namespaces={} fixed_endpoints={} local_runtime=off",
              kubeconfig, createdNamespaces, fixedEndpoints);
        } else {
          seedEmbedded(new LocalServiceEndpoints(client), bound);
        }
        LocalIssuer.Publication jwksPublication = LocalIssuer.publish(client, issuer);
        tls.publishEdgeSecret(client);
        List<String> createdOrganizations = LocalOrganizations.seed(client);

        NatsServerProcess nats = null;
        if (running.contains(Component.RELAY)) {
          nats = NatsServerProcess.start(NatsServerBinary.locate(projectRoot), runDir.resolve("nats"),
              NatsServerProcess.Settings.defaults().withPort(bound.nats()));
          started.push(nats);
          bound = bound.withNats(nats.port());
        }

        Map<Component, AutoCloseable> services = new LinkedHashMap<>();
        Map<Component, List<String>> startArgs = new EnumMap<>(Component.class);
        for (Component component : running) {
          List<String> args = new ArrayList<>(
              LocalStack.serviceArgs(component, bound, kubeconfig.toAbsolutePath(), fixedEndpoints,
                  jwtFlags.getOrDefault(component, LocalIssuer.jwtFlags()), new TlsArgs(tls, envoySds)));
          if ((component == Component.EXT_AUTHZ || component == Component.LIBRARY) && nats != null) {
            // ext-authz: replay and rate-limit state in JetStream key-value, shared by replicas, kept
            // across restarts; library: instance reads carry the delivery summary of queued webhooks
            args.addAll(List.of("--nats-url", nats.url()));
          }
          if (component == Component.XDS) {
            RouteLayout layout = routeLayout();
            if (layout != RouteLayout.SINGLE && adsApiType != AdsApiType.DELTA_GRPC) {
              throw new IllegalStateException("route layout " + layout.flagValue() + " needs Envoy on delta xDS (DELTA_GRPC)");
            }
            args.addAll(List.of("--route-layout", layout.flagValue()));
          }
          args.addAll(extraArgs.getOrDefault(component, List.of()));
          startArgs.put(component, List.copyOf(args));
          log.info("event=service_starting service={} args=\"{}\"", component.displayName(), String.join(" ", args));
          AutoCloseable service = starters.getOrDefault(component, component.starter())
              .start(args.toArray(String[]::new));
          started.push(service);
          services.put(component, service);
          log.info("event=service_started service={}", component.displayName());
        }

        Path binary = envoyBinary != null ? envoyBinary : EnvoyBinary.locate(projectRoot);
        String bootstrap = bootstrapEdit.apply(EnvoyBootstrap.withAdsApiType(
            EnvoyBootstrap.render(nodeId, bound.xds(), bound.envoyAdmin(), envoySds), adsApiType));
        EnvoyProcess envoy = EnvoyProcess.start(binary, bootstrap, runDir.resolve("envoy"), envoyConcurrency, List.of());
        started.push(envoy);
        envoy.awaitReady(envoyTimeout);
        if (running.contains(Component.XDS) && awaitGatewayListener) {
          envoy.awaitListener(bound.envoyListener(), envoyTimeout);
        }
        bound = bound.withEnvoyAdmin(envoy.admin().address().getPort());
        log.info("event=stack_ready gateway=http://{}:{} https=https://{}:{} envoy_admin={} ads_api_type={} route_layout={} kubeconfig={} edge_ca={}",
            LOCALHOST, bound.envoyListener(), LOCALHOST, bound.envoyHttps(), bound.envoyAdmin(), adsApiType, routeLayout().flagValue(), kubeconfig,
            tls.edgeCaFile());
        return new LocalStack(bound, runDir, kubeconfig, embedded, client, services, envoy, started, createdNamespaces,
            issuer, jwksPublication, createdOrganizations, nats, tls, startArgs, adsApiType, routeLayout());
      } catch (Exception | Error e) {
        closeAll(started);
        throw e;
      }
    }

    /**
     * The embedded API starts empty: it gets {@code bdk}, the demo customer namespaces, and the
     * library's and ext-authz's Services with EndpointSlices at 127.0.0.1 (the xds-server finds
     * them by EDS, as in a cluster). (The JWKS ConfigMap and the demo Organizations follow, as for
     * an external cluster.)
     */
    private static void seedEmbedded(LocalServiceEndpoints endpoints, StackPorts bound) {
      endpoints.ensureNamespace(BdkLabels.BDK_NAMESPACE);
      SEED_CUSTOMER_NAMESPACES.forEach(endpoints::ensureNamespace);
      endpoints.publish(BdkLabels.BDK_NAMESPACE, LIBRARY_SERVICE, GRPC_PORT_NAME, LOCALHOST, bound.libraryGrpc());
      endpoints.publish(BdkLabels.BDK_NAMESPACE, EXT_AUTHZ_SERVICE, GRPC_PORT_NAME, LOCALHOST, bound.extAuthzGrpc());
      endpoints.publish(BdkLabels.BDK_NAMESPACE, RELAY_SERVICE, RELAY_PORT_NAME, LOCALHOST, bound.relayHttp(), "http");
    }

    /**
     * An external cluster is only added to: {@code bdk} (books live there) and the demo customer
     * namespaces, each only if missing (then the JWKS ConfigMap and the demo Organizations, also
     * only if missing). No Service or EndpointSlice is written — a real API server refuses loopback
     * endpoints, and the cluster's own {@code bdk/book-library} and {@code bdk/ext-authz} must stay
     * as they are; the xds-server gets fixed endpoints instead.
     */
    private static List<String> seedExternal(LocalServiceEndpoints endpoints) {
      List<String> created = new ArrayList<>();
      List<String> namespaces = new ArrayList<>(List.of(BdkLabels.BDK_NAMESPACE));
      namespaces.addAll(SEED_CUSTOMER_NAMESPACES);
      for (String namespace : namespaces) {
        if (endpoints.createNamespaceIfMissing(namespace)) {
          created.add(namespace);
        }
      }
      return created;
    }

    /**
     * What runs: the chosen components, but never the local runtime with an external cluster — it
     * publishes EndpointSlices at 127.0.0.1, which a real API server refuses; there the cluster runs
     * the books' pods.
     */
    static Set<Component> effectiveComponents(Set<Component> chosen, boolean external) {
      EnumSet<Component> result = chosen.isEmpty() ? EnumSet.noneOf(Component.class) : EnumSet.copyOf(chosen);
      if (external) {
        result.remove(Component.LOCAL_RUNTIME);
      }
      return result;
    }
  }
}

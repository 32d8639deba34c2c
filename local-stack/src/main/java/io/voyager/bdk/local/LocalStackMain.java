package io.voyager.bdk.local;

import io.voyager.bdk.support.JdkHttpServers;
import io.voyager.bdk.xds.translate.RouteLayout;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code make run}: the whole gateway tier on this machine until Ctrl-C. Prints what listens
 * where and a first request to try; Ctrl-C (or SIGTERM) stops every service and the Envoy process.
 */
@Command(
    name = "local-stack",
    mixinStandardHelpOptions = true,
    description = "Runs an embedded Kubernetes API (or uses --kubeconfig), the BDK services and a real Envoy "
        + "programmed by the xds-server, all on 127.0.0.1, until Ctrl-C.")
public final class LocalStackMain implements Callable<Integer> {
  @Option(names = "--envoy-port", description = "Envoy's public listener. Default: ${DEFAULT-VALUE}.")
  int envoyPort = StackPorts.defaults().envoyListener();

  @Option(names = "--envoy-https-port", description = "Envoy's HTTPS listener (certificate of the stack's local CA). Default: ${DEFAULT-VALUE}.")
  int envoyHttpsPort = StackPorts.DEFAULT_ENVOY_HTTPS;

  @Option(names = "--envoy-internal-port",
      description = "Envoy's internal delivery listener: the webhook relay delivers queued webhooks there (mutual TLS, "
          + "only the relay's certificate). Default: ${DEFAULT-VALUE}.")
  int envoyInternalPort = StackPorts.DEFAULT_ENVOY_INTERNAL;

  @Option(names = "--envoy-admin-port", description = "Envoy admin (0 = any free port). Default: ${DEFAULT-VALUE}.")
  int envoyAdminPort = StackPorts.defaults().envoyAdmin();

  @Option(names = "--xds-port", description = "xds-server ADS gRPC. Default: ${DEFAULT-VALUE}.")
  int xdsPort = StackPorts.defaults().xds();

  @Option(names = "--xds-admin-port", description = "xds-server admin HTTP. Default: ${DEFAULT-VALUE}.")
  int xdsAdminPort = StackPorts.defaults().xdsAdmin();

  @Option(names = "--library-port", description = "library-service gRPC. Default: ${DEFAULT-VALUE}.")
  int libraryPort = StackPorts.defaults().libraryGrpc();

  @Option(names = "--library-admin-port", description = "library-service admin HTTP. Default: ${DEFAULT-VALUE}.")
  int libraryAdminPort = StackPorts.defaults().libraryAdmin();

  @Option(names = "--ext-authz-port", description = "ext-authz gRPC. Default: ${DEFAULT-VALUE}.")
  int extAuthzPort = StackPorts.defaults().extAuthzGrpc();

  @Option(names = "--ext-authz-admin-port", description = "ext-authz admin HTTP. Default: ${DEFAULT-VALUE}.")
  int extAuthzAdminPort = StackPorts.defaults().extAuthzAdmin();

  @Option(names = "--controller-admin-port", description = "book-controller admin HTTP. Default: ${DEFAULT-VALUE}.")
  int controllerAdminPort = StackPorts.defaults().controllerAdmin();

  @Option(names = "--runtime-admin-port", description = "local-runtime admin HTTP. Default: ${DEFAULT-VALUE}.")
  int runtimeAdminPort = StackPorts.defaults().runtimeAdmin();

  @Option(names = "--nats-port", description = "nats-server for the webhook relay (JetStream; 0 = any free port). Default: ${DEFAULT-VALUE}.")
  int natsPort = StackPorts.defaults().nats();

  @Option(names = "--relay-port", description = "webhook-relay accept endpoint. Default: ${DEFAULT-VALUE}.")
  int relayPort = StackPorts.defaults().relayHttp();

  @Option(names = "--relay-admin-port", description = "webhook-relay admin HTTP. Default: ${DEFAULT-VALUE}.")
  int relayAdminPort = StackPorts.defaults().relayAdmin();

  @Option(names = "--kube-api-port", description = "Embedded Kubernetes API (0 = any free port). Default: ${DEFAULT-VALUE}.")
  int kubeApiPort = StackPorts.defaults().kubeApi();

  @Option(names = "--kubeconfig", paramLabel = "PATH",
      description = "Use this cluster instead of the embedded Kubernetes API (install the BDK CRDs first: "
          + "kubectl apply -f k8s/crds/). The stack writes no Service or EndpointSlice there: Envoy reaches the "
          + "local library-service and ext-authz at 127.0.0.1 (xds-server --library-endpoint/--ext-authz-endpoint); "
          + "it creates only what is missing of: the bdk, customer-acme and customer-globex namespaces, the JWKS ConfigMap "
          + "bdk/bdk-jwks and the Organizations acme and globex; the local runtime is off "
          + "(book backends are the cluster's pods, reachable only from a machine on the pod network).")
  Path kubeconfig;

  @Option(names = "--run-dir", description = "Kubeconfig, Envoy bootstrap and log, and the local issuer (auth/, what bdkctl token reads) go here. Default: ${DEFAULT-VALUE}.")
  Path runDir = Path.of(".run");

  @Option(names = "--envoy-bin", paramLabel = "PATH",
      description = "Envoy binary. Default: $ENVOY_BIN, else envoy on $PATH, else the one in .venv (make envoy).")
  Path envoyBin;

  @Option(names = "--envoy-concurrency", description = "Envoy worker threads. Default: ${DEFAULT-VALUE}.")
  int envoyConcurrency = 2;

  @Option(names = "--envoy-ads-api", paramLabel = "TYPE",
      description = "How Envoy asks the xds-server for its config (its bootstrap's ads_config.api_type): DELTA_GRPC (delta xDS: "
          + "only what changed) or GRPC (state of the world, every response of a type carries all of it; implies --route-layout "
          + "SINGLE unless given). Default: ${DEFAULT-VALUE}.")
  AdsApiType envoyAdsApi = AdsApiType.DELTA_GRPC;

  @Option(names = "--route-layout", paramLabel = "LAYOUT",
      description = "The xds-server's route layout: SCOPED (scoped routes, one small route configuration per webhook path; "
          + "needs --envoy-ads-api DELTA_GRPC) or SINGLE (one route configuration, re-sent whole on any route change). "
          + "Default: SCOPED on delta xDS, SINGLE with --envoy-ads-api GRPC.")
  RouteLayout routeLayout;

  @Option(names = "--without", split = ",", paramLabel = "COMPONENT",
      description = "Leave components out: ${COMPLETION-CANDIDATES}.")
  List<Component> without = new ArrayList<>();

  public static void main(String[] args) {
    JdkHttpServers.tune();
    System.exit(new CommandLine(new LocalStackMain()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    StackPorts ports = new StackPorts(envoyPort, envoyAdminPort, xdsPort, xdsAdminPort, libraryPort,
        libraryAdminPort, extAuthzPort, extAuthzAdminPort, controllerAdminPort, runtimeAdminPort, kubeApiPort,
        natsPort, relayPort, relayAdminPort, envoyHttpsPort, envoyInternalPort);
    Map<String, Integer> busy = ports.inUse();
    if (kubeconfig != null) {
      busy.remove("kube-api-port"); // no embedded API with --kubeconfig
    }
    if (without.contains(Component.RELAY)) {
      List.of("nats-port", "relay-port", "relay-admin-port").forEach(busy::remove);
    }
    if (!busy.isEmpty()) {
      System.err.println("error: ports already in use: " + busy.entrySet().stream()
          .map(e -> e.getValue() + " (--" + e.getKey() + ")").collect(Collectors.joining(", "))
          + ". Stop what uses them (another make run?) or choose other ports, e.g. make run ARGS=\"--"
          + busy.keySet().iterator().next() + " <port>\"");
      return 2;
    }
    LocalStack.Builder builder = LocalStack.builder();
    if (routeLayout != null) {
      builder.routeLayout(routeLayout);
    }
    LocalStack stack = builder
        .ports(ports)
        .runDir(runDir)
        .kubeconfig(kubeconfig)
        .envoyBinary(envoyBin)
        .envoyConcurrency(envoyConcurrency)
        .adsApiType(envoyAdsApi)
        .without(without.toArray(Component[]::new))
        .start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("\nStopping the local stack…");
      stack.close();
      stopped.countDown();
    }, "local-stack-stop"));
    printBanner(stack, System.out);
    stopped.await();
    return 0;
  }

  /** What listens where, and a first request to try. */
  static void printBanner(LocalStack stack, PrintStream out) {
    StackPorts p = stack.ports();
    String h = LocalStack.LOCALHOST;
    out.println();
    out.println("BDK gateway tier is running (Ctrl-C stops everything):");
    out.printf("  Envoy gateway          https://%s:%d   (local CA: %s — curl --cacert %s https://%s:%d/…)%n", h, p.envoyHttps(),
        stack.tls().edgeCaFile(), stack.tls().edgeCaFile(), h, p.envoyHttps());
    out.printf("                         http://%s:%d    (plain HTTP, for local use)%n", h, p.envoyListener());
    out.printf("  Envoy admin            http://%s:%d   (log: %s)%n", h, p.envoyAdmin(), stack.envoy().logFile());
    if (stack.components().contains(Component.XDS)) {
      out.printf("  xds-server ADS gRPC    %s:%d   (Envoy speaks %s; route layout %s)%n", h, p.xds(),
          stack.adsApiType() == AdsApiType.DELTA_GRPC ? "delta xDS" : "state-of-the-world xDS", stack.routeLayout().flagValue());
      out.printf("  xds-server admin       http://%s:%d%n", h, p.xdsAdmin());
    }
    if (stack.components().contains(Component.LIBRARY)) {
      out.printf("  library-service gRPC   %s:%d   (admin http://%s:%d)%n", h, p.libraryGrpc(), h, p.libraryAdmin());
    }
    if (stack.components().contains(Component.EXT_AUTHZ)) {
      out.printf("  ext-authz gRPC         %s:%d   (admin http://%s:%d; replay and rate-limit state: %s)%n", h, p.extAuthzGrpc(), h,
          p.extAuthzAdmin(), stack.nats() != null ? "JetStream key-value on " + stack.nats().url() : "this process's memory");
    }
    if (stack.components().contains(Component.CONTROLLER)) {
      out.printf("  book-controller admin  http://%s:%d%n", h, p.controllerAdmin());
    }
    if (stack.components().contains(Component.RELAY)) {
      out.printf("  webhook-relay          https://%s:%d  (mutual TLS: Envoy only; admin http://%s:%d)%n", h, p.relayHttp(), h,
          p.relayAdmin());
      out.printf("  Envoy internal listener https://%s:%d  (queued deliveries from the relay; mutual TLS: the relay only)%n",
          h, p.envoyInternal());
      out.printf("  nats-server (JetStream) %s   (store %s; bin/bdkctl webhook dlq list --nats-url %s)%n",
          stack.nats().url(), stack.nats().storeDir(), stack.nats().url());
    }
    if (stack.components().contains(Component.LOCAL_RUNTIME)) {
      out.printf("  local-runtime admin    http://%s:%d/debug/backends%n", h, p.runtimeAdmin());
    }
    if (stack.embedded()) {
      out.printf("  Kubernetes API         http://%s:%d   (embedded, no discovery: kubectl --kubeconfig %s get --raw /apis/…)%n",
          h, p.kubeApi(), stack.kubeconfig());
    } else {
      out.printf("  Kubernetes API         from %s (external cluster)%n", stack.kubeconfig());
      out.printf("    namespaces created   %s%n", stack.createdNamespaces().isEmpty()
          ? "none (bdk and " + String.join(", ", LocalStack.SEED_CUSTOMER_NAMESPACES) + " existed)"
          : String.join(", ", stack.createdNamespaces()));
      out.printf("    organizations created %s%n", stack.createdOrganizations().isEmpty()
          ? "none (acme and globex existed)" : String.join(", ", stack.createdOrganizations()));
      out.println("    no Services/EndpointSlices written: Envoy reaches the local library-service and ext-authz at "
          + h + " (fixed endpoints)");
      out.println("    local runtime off: book webhooks go to the cluster's pods (pod IPs from EndpointSlices),");
      out.println("    which this Envoy reaches only if this machine is on the cluster's pod network");
    }
    out.printf("Internal mutual TLS: CA %s; each service's certificate under %s; a client certificate for grpcurl%n",
        stack.tls().internalCaFile(), stack.tls().internalDir());
    out.printf("  and operators in %s (grpcurl -cacert %s -cert %s -key %s %s:%d list; bin/bdkctl cert issues more)%n",
        stack.tls().operator().certificate().getParent(), stack.tls().internalCaFile(), stack.tls().operator().certificate(),
        stack.tls().operator().privateKey(), "localhost", p.libraryGrpc());
    out.println();
    String runDirFlag = stack.runDir().normalize().equals(Path.of(".run")) ? "" : " --run-dir " + stack.runDir();
    out.printf("Authentication: every /api/v1/books… call needs a bearer token of the local issuer (%s, audience %s;%n",
        stack.issuer().issuer(), stack.issuer().audience());
    out.printf("  signing keys in %s, JWKS in ConfigMap bdk/bdk-jwks: %s). Organizations: acme (customer-acme), globex (customer-globex).%n",
        stack.runDir().resolve(LocalIssuer.AUTH_DIR), stack.jwksPublication().description());
    if (stack.jwksPublication() == LocalIssuer.Publication.LEFT_AS_IS) {
      out.println("  WARNING: the cluster's bdk/bdk-jwks holds other keys; delete it to let the local stack publish its own.");
    }
    out.printf("  bin/bdkctl token%s --org acme --role org-admin        # also --role platform-admin|org-viewer, --ttl 2h, --alg ES256%n",
        runDirFlag);
    out.println();
    out.println("Try:");
    out.printf("  curl -s --cacert %s -X POST https://%s:%d/api/v1/books -H \"authorization: Bearer $(bin/bdkctl token%s --role platform-admin)\" "
        + "-H 'content-type: application/json' -d '{\"name\":\"hello-book\",\"version\":\"1.0.0\"}'%n", stack.tls().edgeCaFile(), h,
        p.envoyHttps(), runDirFlag);
    out.printf("  curl -s http://%s:%d/api/v1/books -H \"authorization: Bearer $(bin/bdkctl token%s --org acme --role org-viewer)\"%n",
        h, p.envoyListener(), runDirFlag);
    out.printf("  curl -s http://%s:%d/api/v1/books        # no token: 401%n", h, p.envoyListener());
    out.println();
    out.flush();
  }
}

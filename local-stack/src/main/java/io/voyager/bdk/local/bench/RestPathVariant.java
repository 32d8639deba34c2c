package io.voyager.bdk.local.bench;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.voyager.bdk.local.EnvoyBootstrap;
import io.voyager.bdk.transcoder.TranscoderConfig;
import io.voyager.bdk.xds.translate.XdsResources;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * Variants of the translation's REST path for {@link TranscoderBenchmark}: each one piece taken out
 * or one option changed, served by its own static Envoy ({@link AuthOffBootstrap#renderEdited}), so
 * the Envoy CPU per REST call of each piece can be read against {@link #STATIC} (the translation
 * itself, unchanged; like the others it keeps the listener's per-client webhook limit, which
 * {@link #NO_CLIENT_LIMIT} takes out, and the packaged bootstrap's process-wide options — stats
 * matcher, deferred stats, memory release, runtime — which the {@code no-stats-matcher},
 * {@code no-deferred} and {@code no-memory-release} variants take out one by one). Measurement only: most variants break a part of the REST contract (the token
 * guard, the JSON shape, error bodies), which is what they cost.
 */
enum RestPathVariant {
  /** The translation unchanged, as static config: the control for the variants below. */
  STATIC("static", "the same translation, static (control)", routes -> routes, hcm -> { }, 0),
  /** Without the packaged bootstrap's stats matcher (the per-book stats exclusion regexes). */
  NO_STATS_MATCHER("no-stats-matcher", "without the bootstrap's stats_config (stats exclusion regexes)", routes -> routes, hcm -> { }, 0),
  /** Without the packaged bootstrap's memory release (16 MiB back to the OS every second). */
  NO_MEMORY_RELEASE("no-memory-release", "without the bootstrap's memory_allocator_manager", routes -> routes, hcm -> { }, 0),
  /** Without the packaged bootstrap's deferred stats and clusters. */
  NO_DEFERRED("no-deferred", "without deferred stat and cluster creation", routes -> routes, hcm -> { }, 0),
  /** No per-client webhook limit (local_ratelimit) on the listener: what it costs a library call. */
  NO_CLIENT_LIMIT("no-client-limit", "without the webhook client limit (local_ratelimit)", routes -> routes, hcm -> { }, 0),
  /** No per-route Lua: the token-size guard gone (what a native guard could at best save). */
  NO_LUA("no-lua", "without the library routes' Lua (token-size guard)", AuthOffBootstrap::withoutLua, hcm -> { }, 0),
  /** No access log on the listeners. */
  NO_ACCESS_LOG("no-access-log", "without the JSON access log", routes -> routes, HttpConnectionManager.Builder::clearAccessLog, 0),
  /** No jwt_authn (filter and per-route): what verifying the (cached) token costs. */
  NO_JWT("no-jwt", "without jwt_authn (no authentication)", RestPathVariant::withoutJwtRoutes, RestPathVariant::withoutJwtFilter, 0),
  /** No header_mutation on the REST routes (the gRPC-only response headers stay). */
  NO_HEADER_MUTATION("no-header-mutation", "without the response header_mutation",
      routes -> perRoute(routes, r -> r.removeTypedPerFilterConfig(RestPathVariant.HEADER_MUTATION)), hcm -> { }, 0),
  /** The transcoder's default print options (no default-valued fields, camelCase names). */
  TRANSCODER_DEFAULT_PRINT("transcoder-default-print", "transcoder: default print_options",
      routes -> transcoder(routes, t -> t.clearPrintOptions()), hcm -> { }, 0),
  /** The transcoder without convert_grpc_status (errors lose their JSON body). */
  TRANSCODER_NO_STATUS("transcoder-no-status", "transcoder: convert_grpc_status off",
      routes -> transcoder(routes, t -> t.setConvertGrpcStatus(false)), hcm -> { }, 0),
  /** The transcoder without request_validation_options (unknown methods/parameters reach the library). */
  TRANSCODER_NO_VALIDATION("transcoder-no-validation", "transcoder: no request_validation_options",
      routes -> transcoder(routes, t -> t.clearRequestValidationOptions()), hcm -> { }, 0),
  /** The transcoder re-matching the route for the gRPC path (match_incoming_request_route off). */
  TRANSCODER_REMATCH("transcoder-rematch", "transcoder: match_incoming_request_route off",
      routes -> transcoder(routes, t -> t.setMatchIncomingRequestRoute(false)), hcm -> { }, 0),
  /** The transcoder without max request/response body sizes. */
  TRANSCODER_NO_BODY_LIMITS("transcoder-no-body-limits", "transcoder: no max body sizes",
      routes -> transcoder(routes, t -> t.clearMaxRequestBodySize().clearMaxResponseBodySize()), hcm -> { }, 0),
  /** The transcoder and the router alone: no Lua, jwt_authn, header_mutation or access log. */
  TRANSCODER_ONLY("transcoder-only", "the transcoder and router alone (no Lua, jwt_authn, header_mutation, access log)",
      routes -> perRoute(withoutJwtRoutes(AuthOffBootstrap.withoutLua(routes)), r -> r.removeTypedPerFilterConfig(RestPathVariant.HEADER_MUTATION)),
      hcm -> {
        withoutJwtFilter(hcm);
        hcm.clearAccessLog();
      }, 0),
  /** The translation unchanged, on an Envoy with one worker thread. */
  CONCURRENCY_1("concurrency-1", "the same translation, static, Envoy --concurrency 1", routes -> routes, hcm -> { }, 1);

  static final String HEADER_MUTATION = "envoy.filters.http.header_mutation";

  final String id;
  final String description;
  private final AuthOffBootstrap.Edit<RouteConfiguration> routes;
  private final AuthOffBootstrap.HcmEdit hcm;
  /** Envoy worker threads for this variant; 0: the benchmark's {@code --envoy-concurrency}. */
  final int envoyConcurrency;

  RestPathVariant(String id, String description, AuthOffBootstrap.Edit<RouteConfiguration> routes, AuthOffBootstrap.HcmEdit hcm,
      int envoyConcurrency) {
    this.id = id;
    this.description = description;
    this.routes = routes;
    this.hcm = hcm;
    this.envoyConcurrency = envoyConcurrency;
  }

  /** Bootstrap of this variant of {@code resources} (the translation for the variant's listener port). */
  String bootstrap(XdsResources resources) throws InvalidProtocolBufferException {
    String json = AuthOffBootstrap.renderEdited(resources, "bench-rest-" + id, routes, hcm, this != NO_CLIENT_LIMIT);
    Set<String> omitted = switch (this) {
      case NO_STATS_MATCHER -> Set.of("stats_config");
      case NO_MEMORY_RELEASE -> Set.of("memory_allocator_manager");
      case NO_DEFERRED -> Set.of("deferred_stat_options", "cluster_manager");
      default -> Set.of();
    };
    return withPackagedBootstrapOptions(json, omitted);
  }

  /** The packaged bootstrap's process-wide options every variant runs with, as the stack's Envoy does. */
  static final List<String> BOOTSTRAP_OPTIONS =
      List.of("stats_config", "deferred_stat_options", "cluster_manager", "memory_allocator_manager", "layered_runtime");

  /**
   * {@code bootstrapJson} with the packaged bootstrap's ({@code envoy/bootstrap.yaml}) process-wide
   * options ({@link #BOOTSTRAP_OPTIONS}) but {@code omitted}: the static Envoy then differs from the
   * stack's only by the variant and by taking its resources from a file instead of xDS.
   */
  static String withPackagedBootstrapOptions(String bootstrapJson, Set<String> omitted) {
    try {
      var yaml = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());
      var json = new com.fasterxml.jackson.databind.ObjectMapper();
      var template = yaml.readTree(EnvoyBootstrap.template());
      var root = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(bootstrapJson);
      for (String option : BOOTSTRAP_OPTIONS) {
        if (!omitted.contains(option) && template.has(option)) {
          root.set(option, template.get(option));
        }
      }
      return json.writeValueAsString(root);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The variant named {@code id}; refuses naming the known ones. */
  static RestPathVariant of(String id) {
    return Arrays.stream(values()).filter(v -> v.id.equals(id.trim())).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("--variants: unknown variant '" + id + "' (known: "
            + Arrays.stream(values()).map(v -> v.id).collect(Collectors.joining(", ")) + ")"));
  }

  private static RouteConfiguration perRoute(RouteConfiguration routes, Consumer<Route.Builder> edit) {
    RouteConfiguration.Builder builder = routes.toBuilder();
    for (VirtualHost.Builder host : builder.getVirtualHostsBuilderList()) {
      host.getRoutesBuilderList().forEach(edit);
    }
    return builder.build();
  }

  private static RouteConfiguration withoutJwtRoutes(RouteConfiguration routes) {
    return perRoute(routes, r -> r.removeTypedPerFilterConfig(AuthOffBootstrap.JWT_AUTHN));
  }

  private static void withoutJwtFilter(HttpConnectionManager.Builder hcm) {
    for (int i = hcm.getHttpFiltersCount() - 1; i >= 0; i--) {
      if (hcm.getHttpFilters(i).getName().equals(AuthOffBootstrap.JWT_AUTHN)) {
        hcm.removeHttpFilters(i);
      }
    }
  }

  /** {@code routes} with every route's transcoder config edited by {@code edit}. */
  private static RouteConfiguration transcoder(RouteConfiguration routes, UnaryOperator<GrpcJsonTranscoder.Builder> edit)
      throws InvalidProtocolBufferException {
    RouteConfiguration.Builder builder = routes.toBuilder();
    for (VirtualHost.Builder host : builder.getVirtualHostsBuilderList()) {
      for (Route.Builder route : host.getRoutesBuilderList()) {
        if (route.containsTypedPerFilterConfig(TranscoderConfig.FILTER_NAME)) {
          GrpcJsonTranscoder t = route.getTypedPerFilterConfigOrThrow(TranscoderConfig.FILTER_NAME).unpack(GrpcJsonTranscoder.class);
          route.putTypedPerFilterConfig(TranscoderConfig.FILTER_NAME, Any.pack(edit.apply(t.toBuilder()).build()));
        }
      }
    }
    return builder.build();
  }
}

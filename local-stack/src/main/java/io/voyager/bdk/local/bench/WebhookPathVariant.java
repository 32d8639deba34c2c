package io.voyager.bdk.local.bench;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.voyager.bdk.xds.translate.XdsResources;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Variants of the translation's webhook path for {@link WebhookBenchmark}, in the manner of
 * {@link RestPathVariant}: the xds-server's own listener, routes and clusters for the benchmark's
 * book (single route layout, the stack's ext-authz and book as fixed endpoints, its mutual-TLS files),
 * made static ({@link AuthOffBootstrap#renderEdited}) with the packaged bootstrap's process-wide
 * options, one piece taken out per variant. Every variant calls the stack's real ext-authz (except
 * {@link #NO_EXT_AUTHZ}) and is paced to the rate ext_authz ON reached, so Envoy's CPU per webhook
 * of each can be read against {@link #STATIC}'s at the same rate. The variants with a {@link CheckServer}
 * other than the stack's call a second ext-authz started in the benchmark's JVM with the stack's
 * own flags but one changed (no mutual TLS on the Check hop, or the replay and rate-limit state in
 * memory instead of JetStream), so what that piece costs Envoy, the JVM and the nats-server per
 * webhook shows against {@link #STATIC}. Measurement only: a variant without a piece breaks what
 * that piece is for.
 */
enum WebhookPathVariant {
  /** The translation unchanged, static (control). */
  STATIC("static", "the same translation, static (control)", hcm -> { }),
  /** No access logs: neither the JSON stdout log nor the replay-release gRPC log's filter. */
  NO_ACCESS_LOG("no-access-log", "without the access logs (JSON stdout, replay-release)", HttpConnectionManager.Builder::clearAccessLog),
  /** No per-client webhook limit (local_ratelimit with a descriptor per client address). */
  NO_CLIENT_LIMIT("no-client-limit", "without the per-client webhook limit (local_ratelimit)", hcm -> { }),
  /** No early header mutations (the x-bdk-* hygiene) and no path normalisation / slash merging. */
  NO_HYGIENE("no-hygiene", "without the early header hygiene, path normalisation, slash merging",
      hcm -> hcm.clearEarlyHeaderMutationExtensions().clearNormalizePath().setMergeSlashes(false)),
  /**
   * The ext_authz filters send the merged {@code headers} map instead of raw {@code header_map}
   * lines (encode_raw_headers off, as before it was on): what the raw form saves Envoy and ext-authz.
   */
  MERGED_HEADERS("merged-headers", "ext_authz sends the merged headers map (encode_raw_headers off)",
      WebhookPathVariant::withMergedHeaders),
  /** No ext_authz filters at all: the rest of the translation, no Check (what the Check costs Envoy). */
  NO_EXT_AUTHZ("no-ext-authz", "without the ext_authz filters (no Check call)", WebhookPathVariant::withoutExtAuthz),
  /** The Check hop in plaintext HTTP/2 (a second ext-authz, {@code --plaintext}; state in JetStream as the stack's). */
  CHECK_PLAINTEXT("check-plaintext", "the Check hop without mutual TLS (a second ext-authz, --plaintext)", hcm -> { },
      CheckServer.PLAINTEXT),
  /** The Check over mutual TLS to a second ext-authz whose replay and rate-limit state is in memory (no {@code --nats-url}). */
  CHECK_STATE_IN_MEMORY("check-state-in-memory", "ext-authz's replay and rate-limit state in memory, not JetStream (a second ext-authz)",
      hcm -> { }, CheckServer.STATE_IN_MEMORY);

  /**
   * The ext-authz a variant's Checks go to: the stack's, or a second one in the benchmark's JVM
   * started with the stack's ext-authz flags ({@link #args}) on its own ports, one thing changed.
   */
  enum CheckServer {
    /** The stack's ext-authz (mutual TLS, state in the stack's JetStream). */
    STACK,
    /** {@code --plaintext} instead of the TLS flags: Envoy reaches it in plaintext HTTP/2. */
    PLAINTEXT,
    /** Without {@code --nats-url}: replay and rate-limit state in the process's memory. */
    STATE_IN_MEMORY;

    /** Flags each take one value; these are replaced, removed, or dropped with their value. */
    private static final Set<String> TLS_FLAGS = Set.of("--tls-cert-file", "--tls-key-file", "--tls-client-ca-file");

    /** The second ext-authz's flags: {@code stackArgs} on {@code grpcPort} and {@code adminPort}, with this server's change. */
    List<String> args(List<String> stackArgs, int grpcPort, int adminPort) {
      if (this == STACK) {
        throw new IllegalStateException("the stack's ext-authz is already running");
      }
      List<String> args = new ArrayList<>();
      int portsReplaced = 0;
      for (int i = 0; i < stackArgs.size(); i++) {
        String flag = stackArgs.get(i);
        boolean hasValue = i + 1 < stackArgs.size() && !stackArgs.get(i + 1).startsWith("--");
        String value = hasValue ? stackArgs.get(i + 1) : null;
        if (hasValue) {
          i++;
        }
        if ((this == PLAINTEXT && TLS_FLAGS.contains(flag)) || (this == STATE_IN_MEMORY && flag.equals("--nats-url"))) {
          continue;
        }
        args.add(flag);
        if (hasValue) {
          String port = switch (flag) {
            case "--grpc-port" -> Integer.toString(grpcPort);
            case "--admin-port" -> Integer.toString(adminPort);
            default -> null;
          };
          portsReplaced += port == null ? 0 : 1;
          args.add(port == null ? value : port);
        }
      }
      if (this == PLAINTEXT) {
        args.add("--plaintext");
      }
      if (portsReplaced != 2) {
        throw new IllegalArgumentException("the stack's ext-authz flags have no --grpc-port and --admin-port: " + stackArgs);
      }
      return args;
    }
  }

  /** The translator's two ext_authz filters (XdsTranslator.EXT_AUTHZ_FILTER and EXT_AUTHZ_WAKE_FILTER). */
  static final Set<String> EXT_AUTHZ_FILTERS = Set.of("envoy.filters.http.ext_authz", "bdk.filters.http.ext_authz_wake");

  final String id;
  final String description;
  private final AuthOffBootstrap.HcmEdit hcm;
  final CheckServer checkServer;

  WebhookPathVariant(String id, String description, AuthOffBootstrap.HcmEdit hcm) {
    this(id, description, hcm, CheckServer.STACK);
  }

  WebhookPathVariant(String id, String description, AuthOffBootstrap.HcmEdit hcm, CheckServer checkServer) {
    this.id = id;
    this.description = description;
    this.hcm = hcm;
    this.checkServer = checkServer;
  }

  /** Bootstrap JSON of this variant of {@code resources}. */
  String bootstrap(XdsResources resources) throws InvalidProtocolBufferException {
    String json = AuthOffBootstrap.renderEdited(resources, "bench-webhook-" + id, routes -> routes, hcm, this != NO_CLIENT_LIMIT);
    return RestPathVariant.withPackagedBootstrapOptions(json, Set.of());
  }

  private static void withoutExtAuthz(HttpConnectionManager.Builder hcm) {
    for (int i = hcm.getHttpFiltersCount() - 1; i >= 0; i--) {
      if (EXT_AUTHZ_FILTERS.contains(hcm.getHttpFilters(i).getName())) {
        hcm.removeHttpFilters(i);
      }
    }
  }

  private static void withMergedHeaders(HttpConnectionManager.Builder hcm) {
    for (int i = 0; i < hcm.getHttpFiltersCount(); i++) {
      HttpFilter filter = hcm.getHttpFilters(i);
      if (EXT_AUTHZ_FILTERS.contains(filter.getName())) {
        try {
          ExtAuthz merged = filter.getTypedConfig().unpack(ExtAuthz.class).toBuilder().setEncodeRawHeaders(false).build();
          hcm.setHttpFilters(i, filter.toBuilder().setTypedConfig(Any.pack(merged)));
        } catch (InvalidProtocolBufferException e) {
          throw new IllegalStateException("ext_authz filter " + filter.getName() + ": " + e.getMessage(), e);
        }
      }
    }
  }

  /** The variant named {@code id}; refuses naming the known ones. */
  static WebhookPathVariant of(String id) {
    return Arrays.stream(values()).filter(v -> v.id.equals(id.trim())).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("--variants: unknown variant '" + id + "' (known: "
            + Arrays.stream(values()).map(v -> v.id).collect(Collectors.joining(", ")) + ")"));
  }
}

package io.voyager.bdk.extauthz.bench;

import com.github.benmanes.caffeine.cache.Ticker;
import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.voyager.bdk.extauthz.AuthorizationService;
import io.voyager.bdk.extauthz.CheckDefaults;
import io.voyager.bdk.extauthz.CheckMetrics;
import io.voyager.bdk.extauthz.WebhookCheck;
import io.voyager.bdk.extauthz.ratelimit.RateLimiter;
import io.voyager.bdk.extauthz.replay.BoundedReplayStore;
import io.voyager.bdk.model.WebhookLimits;
import io.voyager.bdk.extauthz.scheme.Header;
import io.voyager.bdk.extauthz.scheme.Schemes;
import io.voyager.bdk.extauthz.scheme.SigningInput;
import io.voyager.bdk.extauthz.secrets.SecretSource;
import io.voyager.bdk.model.WebhookAuthContext;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Benchmark of the Check API (not a test): the real Authorization service over loopback gRPC,
 * secrets in memory (two active, as during a rotation). Rate limits are capped
 * ({@link WebhookLimits}), so requests are spread over endpoints that each get fewer than a burst.
 * For each scheme it warms up, then sends unique signed 1 KiB webhooks from {@code threads}
 * blocking callers and prints checks/s and p50/p99 latency of the Check call.
 *
 * <p>Run: {@code bin/bdkctl bench check} (after {@code mvn -o package}).
 */
public final class CheckBenchmark {
  /** Warm-up and measured seconds per scheme, concurrent callers. */
  public record Settings(double warmupSeconds, double seconds, int threads) {}

  private static final String SECRET = "whsec_YmVuY2htYXJrLXNlY3JldC1mb3ItZXh0LWF1dGh6LTEyMzQ=";
  private static final String OLD_SECRET = "whsec_b2xkLWJlbmNobWFyay1zZWNyZXQtZm9yLWV4dC1hdXRoeg==";

  private CheckBenchmark() {}

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
    run(new Settings(2, seconds, 2), System.out);
  }

  public static void run(Settings settings, PrintStream out) throws Exception {
    SecretSource secrets = ref -> List.of(OLD_SECRET, SECRET);
    WebhookCheck check = new WebhookCheck(secrets, new BoundedReplayStore(BoundedReplayStore.Budget.standard(), Ticker.systemTicker()),
        new RateLimiter(1000, Ticker.systemTicker()), CheckDefaults.standard(), Clock.systemUTC());
    AuthorizationService service = new AuthorizationService(check, new CheckMetrics(new SimpleMeterRegistry()));
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service).build().start();
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    ExecutorService callers = Executors.newFixedThreadPool(settings.threads());
    try {
      AuthorizationGrpc.AuthorizationBlockingStub stub = AuthorizationGrpc.newBlockingStub(channel);
      out.printf("ext-authz Check API over loopback gRPC, 1 KiB body, %d callers, %.1f s per scheme%n",
          settings.threads(), settings.seconds());
      out.printf("%-10s %12s %10s %10s %10s%n", "scheme", "checks/s", "p50 ms", "p99 ms", "denied");
      for (String scheme : Schemes.NAMES) {
        Result warm = measure(stub, callers, scheme, "warm", settings.warmupSeconds(), settings.threads(), 0);
        Result r = measure(stub, callers, scheme, "run", settings.seconds(), settings.threads(), warm.perSecond());
        out.printf("%-10s %12.0f %10.3f %10.3f %10d%n", scheme, r.perSecond(), r.p50Millis(), r.p99Millis(), r.denied());
      }
    } finally {
      callers.shutdownNow();
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private record Result(double perSecond, double p50Millis, double p99Millis, long denied) {}

  /** Sends pre-signed unique requests for {@code seconds}; the pool is sized from the expected rate. */
  private static Result measure(AuthorizationGrpc.AuthorizationBlockingStub stub, ExecutorService callers, String scheme,
      String phase, double seconds, int threads, double expectedRate) throws Exception {
    int poolSize = (int) Math.min(2_000_000, Math.max(5_000, expectedRate * seconds * 1.5));
    List<CheckRequest> pool = requests(scheme, phase, poolSize);
    AtomicInteger next = new AtomicInteger();
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    long start = System.nanoTime();
    List<Future<long[]>> futures = new ArrayList<>();
    AtomicInteger denied = new AtomicInteger();
    for (int t = 0; t < threads; t++) {
      futures.add(callers.submit(() -> {
        long[] latencies = new long[poolSize];
        int n = 0;
        int i;
        while (System.nanoTime() < deadline && (i = next.getAndIncrement()) < poolSize) {
          long t0 = System.nanoTime();
          CheckResponse response = stub.check(pool.get(i));
          latencies[n++] = System.nanoTime() - t0;
          if (!response.hasOkResponse()) {
            denied.incrementAndGet();
          }
        }
        return Arrays.copyOf(latencies, n);
      }));
    }
    List<long[]> parts = new ArrayList<>();
    for (Future<long[]> f : futures) {
      parts.add(f.get());
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    long[] all = parts.stream().flatMapToLong(Arrays::stream).sorted().toArray();
    if (all.length == 0) {
      return new Result(0, 0, 0, denied.get());
    }
    return new Result(all.length / elapsed, all[(int) (all.length * 0.50)] / 1e6,
        all[Math.min(all.length - 1, (int) (all.length * 0.99))] / 1e6, denied.get());
  }

  private static List<CheckRequest> requests(String scheme, String phase, int count) {
    Map<String, String> context = new HashMap<>();
    context.put(WebhookAuthContext.SCHEME, scheme);
    context.put(WebhookAuthContext.SECRET_NAMESPACE, "customer-bench");
    context.put(WebhookAuthContext.SECRET_NAME, "bench-credentials");
    context.put(WebhookAuthContext.SECRET_KEY, "secret");
    String endpointPrefix = "bench-" + scheme + "-" + phase + "-" + System.nanoTime() + "-";
    context.put(WebhookAuthContext.RATE_PER_SECOND, Double.toString(WebhookLimits.MAX_REQUESTS_PER_SECOND));
    context.put(WebhookAuthContext.BURST, Integer.toString(WebhookLimits.MAX_BURST));
    context.put(WebhookAuthContext.ROUTED_TO, "customer-bench/book");
    context.put(WebhookAuthContext.HMAC_HEADER, "X-Signature");
    var signer = Schemes.byName(scheme, context);
    List<CheckRequest> requests = new ArrayList<>(count);
    Instant now = Instant.now();
    for (int i = 0; i < count; i++) {
      byte[] body = body(i);
      AttributeContext.HttpRequest.Builder http = AttributeContext.HttpRequest.newBuilder()
          .setMethod("POST").setPath("/api/v1/webhooks/bench/" + scheme)
          .putHeaders("content-type", "application/json")
          .setRawBody(ByteString.copyFrom(body));
      for (Header h : signer.sign(new SigningInput(body, SECRET, now, "evt-" + phase + "-" + i))) {
        http.putHeaders(h.name().toLowerCase(), h.value());
      }
      // Never more than a burst per endpoint: nothing is refused for rate.
      String endpoint = endpointPrefix + (i / (WebhookLimits.MAX_BURST / 2));
      requests.add(CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
          .setRequest(AttributeContext.Request.newBuilder().setHttp(http))
          .putAllContextExtensions(context).putContextExtensions(WebhookAuthContext.ENDPOINT_KEY, endpoint)).build());
    }
    return requests;
  }

  /** A 1 KiB JSON body, unique per index. */
  private static byte[] body(int i) {
    StringBuilder sb = new StringBuilder(1024).append("{\"event\":\"bench\",\"seq\":").append(i).append(",\"pad\":\"");
    while (sb.length() < 1022) {
      sb.append('x');
    }
    return sb.append("\"}").toString().getBytes(StandardCharsets.UTF_8);
  }
}

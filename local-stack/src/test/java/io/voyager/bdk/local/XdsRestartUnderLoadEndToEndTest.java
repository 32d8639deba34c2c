package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.voyager.bdk.local.GatewayClient.Answer;
import io.voyager.bdk.model.ExternalBookDefinition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.ThrowingRunnable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The xds-server killed (SIGKILL) under load and started again on the same Kubernetes state, its
 * own JVM ({@link XdsServerProcess}), a real Envoy on scoped routes over delta xDS with on-demand
 * scopes and clusters. Twenty books are served; signed and unsigned webhooks to them and REST reads
 * of a library book run from several threads before the kill, while the xds-server is down and
 * after it is back ({@link SteadyTraffic}). Envoy keeps its last configuration meanwhile: every
 * signed webhook and REST read is answered 2xx, every unsigned webhook 401, in every phase. While
 * it is down one book is removed and one added in the API; once it is back Envoy serves the added
 * one and has dropped the removed one (the new server reads Envoy's
 * {@code initial_resource_versions} and removes what it no longer has). Nothing reaches a book but
 * a signed webhook answered 2xx, each with ext-authz's webhook id, all together exactly what
 * ext_authz allowed. {@link XdsRestartEndToEndTest} restarts an in-process xds-server without load,
 * in both ADS protocols, and checks versions and what is re-sent.
 */
class XdsRestartUnderLoadEndToEndTest {
  private static final String NODE_ID = "e2e-xds-kill";
  private static final Logger log = LoggerFactory.getLogger(XdsRestartUnderLoadEndToEndTest.class);
  private static final Duration CONVERGE = Duration.ofSeconds(30);
  /**
   * How long after the new xds-server is ready Envoy may take to reconnect: the bootstrap bounds its
   * ADS backoff to 5 s between attempts (envoy/bootstrap.yaml), the rest is margin for a loaded machine.
   */
  private static final Duration RECONNECT = Duration.ofSeconds(20);
  private static final int BOOKS = Integer.getInteger("bdk.xds-kill.books", 20);
  /** Answers each phase needs before the test moves on, so traffic really ran through it. */
  private static final long ANSWERS_PER_PHASE = 60;
  private static final String CONNECTED = "control_plane.connected_state";
  private static final String UP = "xds-server up";
  private static final String DOWN = "xds-server killed";
  private static final String BACK = "xds-server back";

  /** Kept when the test fails: xds-server.log, Envoy's log (access log with response flags) and bootstrap. */
  @TempDir(cleanup = CleanupMode.ON_SUCCESS) static Path runDir;
  static XdsServerProcess xds;
  static LocalStack stack;
  static GatewayClient gateway;
  static GatewayClient api;
  static ServedBooks books;
  /** Served before the kill, removed from the API while the xds-server is down; no traffic. */
  static SignedWebhookBook removedWhileDown;

  @BeforeAll
  static void startStackWithServedBooks() throws Exception {
    // C1 only and the serial collector: the xds-server's JVM starts (twice) sooner on a small, shared machine.
    // Its log (kept when the test fails) has its streams, snapshots and each delta response (type, version, counts).
    xds = new XdsServerProcess(runDir.resolve("xds-server.log"), List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=info", "-Dorg.slf4j.simpleLogger.log.io.voyager.bdk.xds.server.DeltaAdsStream=debug"));
    stack = TestStacks.scopedGateway(runDir, NODE_ID, 100000).starter(Component.XDS, xds).start();
    gateway = GatewayClient.anonymous(stack);
    api = GatewayClient.of(stack);
    // Every route the traffic uses is in Envoy before the xds-server goes: nothing loads on demand while it is down.
    books = ServedBooks.serve(stack, gateway, api, "steady", BOOKS, "read-while-xds-is-down", CONVERGE);
    removedWhileDown = books.create("removed-while-down", "github");
    removedWhileDown.awaitServed(gateway, CONVERGE);
  }

  @AfterAll
  static void stopAll() {
    if (books != null) {
      books.close();
    }
    if (stack != null) {
      stack.close(); // stops the xds-server process it runs now
      stack = null;
    }
  }

  @Test
  void envoyServesUnchangedRoutesWhileTheXdsServerIsKilledAndTakesWhatChangedMeanwhileWhenItIsBack() throws Exception {
    EnvoyAdmin admin = stack.envoy().admin();
    DeliveryTally tally = new DeliveryTally();
    tally.count(removedWhileDown);
    long allowedBefore = admin.statOrZero(DeliveryTally.EXT_AUTHZ_ALLOWED);
    SteadyTraffic traffic = SteadyTraffic.start(gateway, api, books.restPath(), books.served(), tally, UP);
    try {
      awaitAnswers(traffic, UP);

      xds.kill();
      long killedAt = System.nanoTime();
      traffic.phase(DOWN);
      await("Envoy sees its control plane gone").atMost(CONVERGE).until(() -> admin.statOrZero(CONNECTED) == 0);
      stack.kubernetes().resources(ExternalBookDefinition.class).inNamespace(ServedBooks.NAMESPACE)
          .withName(removedWhileDown.name()).delete();
      SignedWebhookBook addedWhileDown = books.create("added-while-down", "github");
      tally.count(addedWhileDown);
      awaitAnswers(traffic, DOWN);
      Answer unrouted = addedWhileDown.postUnsigned(gateway);
      assertThat(unrouted.status()).as("a book added while the xds-server is down is not routed yet: " + unrouted.body())
          .isEqualTo(404);
      assertThat(admin.statOrZero(CONNECTED)).as("the xds-server was down through the whole phase").isZero();

      xds.start(stack.startArgs(Component.XDS).toArray(String[]::new));
      long ready = System.nanoTime();
      traffic.phase(BACK);
      // Envoy retries its ADS stream with the bootstrap's jittered backoff (at most 5 s between tries)
      await("Envoy reconnected to the new xds-server").atMost(RECONNECT).until(() -> admin.statOrZero(CONNECTED) == 1);
      log.info("event=xds_kill_reconnect down_ms={} reconnect_after_ready_ms={}", (ready - killedAt) / 1_000_000,
          (System.nanoTime() - ready) / 1_000_000);
      awaitConverged("the book added while the xds-server was down is served", admin, () -> {
        Answer answer = addedWhileDown.postSigned(gateway);
        tally.signedAnswer(addedWhileDown, answer.status());
        assertThat(answer.status() / 100).as("signed webhook to " + addedWhileDown.path() + " answered " + answer.describe())
            .isEqualTo(2);
      });
      awaitConverged("the book removed while the xds-server was down is gone from Envoy", admin, () -> {
        Answer answer = removedWhileDown.postUnsigned(gateway);
        assertThat(answer.status()).as("unsigned webhook to " + removedWhileDown.path() + " answered " + answer.describe())
            .isEqualTo(404);
      });
      awaitAnswers(traffic, BACK);
    } finally {
      traffic.close();
    }

    long allowed = admin.statOrZero(DeliveryTally.EXT_AUTHZ_ALLOWED) - allowedBefore;
    String summary = traffic.summary() + "; received " + tally.summary() + "; ext_authz allowed " + allowed
        + "; xds-server log " + runDir.resolve("xds-server.log");
    log.info("event=xds_kill_under_load {}", summary);
    assertThat(traffic.unexpected())
        .as("answers on unchanged routes other than 2xx (signed webhook, REST) or 401 (unsigned webhook): " + summary).isEmpty();
    assertThat(tally.uncheckedDeliveries()).as("webhooks a book received without ext-authz's id or for another book: " + summary)
        .isEmpty();
    assertThat(tally.mismatches()).as("books that received other than their signed webhooks answered 2xx: " + summary).isEmpty();
    assertThat(tally.receivedTotal()).as("all books together received exactly what ext_authz allowed: " + summary)
        .isEqualTo(allowed);
    assertThat(stack.envoy().isAlive()).isTrue();
  }

  /**
   * Waits until {@code check} passes. On a timeout the message ends with the last check's failure
   * (the last answer), and Envoy's configuration then (with endpoints) is kept in the run directory
   * beside xds-server.log and Envoy's log: is the scope there, the route configuration, the
   * cluster, its endpoints?
   */
  private static void awaitConverged(String what, EnvoyAdmin admin, ThrowingRunnable check) throws IOException {
    try {
      await(what).atMost(CONVERGE).untilAsserted(check);
    } catch (ConditionTimeoutException e) {
      Path dump = runDir.resolve("envoy-config-dump.json");
      Files.writeString(dump, admin.get("/config_dump?include_eds").body());
      throw new AssertionError(e.getMessage() + "; Envoy's configuration then: " + dump + " (run directory kept)", e);
    }
  }

  private static void awaitAnswers(SteadyTraffic traffic, String phase) {
    await(ANSWERS_PER_PHASE + " answers while " + phase + " (" + traffic.summary() + ")").atMost(CONVERGE)
        .until(() -> traffic.answers(phase) >= ANSWERS_PER_PHASE);
  }
}

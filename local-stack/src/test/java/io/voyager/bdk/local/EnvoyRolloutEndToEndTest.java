package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.voyager.bdk.local.SignedWebhookBook.SignedDelivery;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.WebhookRoutes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A rollout of the gateway: the old Envoy serves while a new Envoy (another node, as a new pod
 * is) starts on the same xds-server, the listener port shared by both (SO_REUSEPORT), while books
 * are added, renamed and removed one after another ({@link Churn}; each change applied on the old
 * Envoy before the next), on scoped routes over delta xDS with on-demand scopes and clusters.
 *
 * <p>The old Envoy keeps serving unchanged routes throughout: signed webhooks and REST reads 2xx,
 * unsigned webhooks 401 ({@link SteadyTraffic}, on connections opened before the new Envoy
 * started). The new Envoy opens its listener only with its configuration complete: its first
 * answers — a connection pinned to it ({@link PinnedConnection}) from before its listener
 * exists, then every served book signed and unsigned on it while the changes go on — are 2xx and
 * 401, never a 404 for a book that exists. Both end up serving the same routes: every book added
 * or renamed to answers a signed webhook 2xx on each Envoy, every path removed or renamed away
 * answers 404 on each. Nothing reaches a book but a signed webhook answered 2xx, each with
 * ext-authz's webhook id, all together exactly what ext_authz allowed on the two Envoys.
 */
class EnvoyRolloutEndToEndTest {
  private static final Logger log = LoggerFactory.getLogger(EnvoyRolloutEndToEndTest.class);
  private static final String OLD_NODE = "e2e-rollout-old";
  private static final String NEW_NODE = "e2e-rollout-new";
  private static final Duration CONVERGE = Duration.ofSeconds(30);
  /** How long one request on a pinned connection may wait: a first request loads its route configuration and cluster. */
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);
  private static final int BOOKS = Integer.getInteger("bdk.rollout.books", 12);
  /** Book changes made while only the old Envoy serves, and at least as many again once the new one answers. */
  private static final int CHANGES_PER_PHASE = 4;
  private static final long ANSWERS_PER_PHASE = 40;
  private static final int NEW_ENVOY_WORKERS = 2;
  private static final String OLD_ONLY = "old Envoy only";
  private static final String ROLLOUT = "new Envoy starting";
  private static final String BOTH = "both Envoys";

  @TempDir static Path runDir;
  static LocalStack stack;
  static GatewayClient gateway;
  static GatewayClient api;
  static ServedBooks books;

  /** One request on a pinned connection: which Envoy, in which phase, what was sent, its status ({@link SteadyTraffic#BROKEN}: none). */
  record Probe(String envoy, String phase, String sent, int status) {}

  @BeforeAll
  static void startStackWithServedBooks() throws Exception {
    stack = TestStacks.scopedGateway(runDir, OLD_NODE, 100000).start();
    gateway = GatewayClient.anonymous(stack);
    api = GatewayClient.of(stack);
    books = ServedBooks.serve(stack, gateway, api, "steady", BOOKS, "read-during-rollout", CONVERGE);
  }

  @AfterAll
  static void stopAll() {
    if (books != null) {
      books.close();
    }
    if (stack != null) {
      stack.close();
      stack = null;
    }
  }

  @Test
  void theNewEnvoyAnswersOnlyWithItsWholeConfigurationTheOldOneKeepsServingAndBothConverge() throws Exception {
    EnvoyAdmin oldAdmin = stack.envoy().admin();
    DeliveryTally tally = new DeliveryTally();
    long oldAllowedBefore = oldAdmin.statOrZero(DeliveryTally.EXT_AUTHZ_ALLOWED);
    Churn churn = new Churn(oldAdmin, tally);
    List<Probe> firstAnswers = new ArrayList<>();
    List<Probe> newEnvoyAnswers = new ArrayList<>();
    List<Probe> finalAnswers = new ArrayList<>();
    List<SignedWebhookBook> steady = books.served();
    SteadyTraffic traffic = SteadyTraffic.start(gateway, api, books.restPath(), steady, tally, OLD_ONLY);
    EnvoyProcess newEnvoy = null;
    long newAllowed;
    int changesAtFirstAnswer;
    try {
      awaitAnswers(traffic, OLD_ONLY);
      for (int i = 0; i < CHANGES_PER_PHASE; i++) {
        churn.change();
      }

      traffic.phase(ROLLOUT);
      churn.start();
      newEnvoy = EnvoyProcess.start(EnvoyBinary.locate(ProjectRoot.get()), stack.envoyBootstrap(NEW_NODE),
          runDir.resolve("envoy-new"), NEW_ENVOY_WORKERS, List.of());
      List<EnvoyAdmin> admins = List.of(oldAdmin, newEnvoy.admin());
      int listenerPort = stack.ports().envoyListener();
      try (PinnedConnection toNew = PinnedConnection.pin(admins, 1, LocalStack.LOCALHOST, listenerPort, CONVERGE, PROBE_TIMEOUT)) {
        // The new Envoy's first answers: every served book, signed then unsigned, while the changes go on.
        changesAtFirstAnswer = churn.made();
        for (SignedWebhookBook book : steady) {
          firstAnswers.add(probe(toNew, NEW_NODE, ROLLOUT, book, true, tally));
          firstAnswers.add(probe(toNew, NEW_NODE, ROLLOUT, book, false, tally));
        }
        traffic.phase(BOTH);
        int changesBefore = churn.made();
        long deadline = System.nanoTime() + CONVERGE.toNanos();
        while (churn.made() < changesBefore + CHANGES_PER_PHASE && churn.failure() == null && System.nanoTime() < deadline) {
          SignedWebhookBook book = steady.get(ThreadLocalRandom.current().nextInt(steady.size()));
          newEnvoyAnswers.add(probe(toNew, NEW_NODE, BOTH, book, ThreadLocalRandom.current().nextBoolean(), tally));
        }
        churn.close();
        assertThat(churn.made()).as(CHANGES_PER_PHASE + " changes while both Envoys serve, within " + CONVERGE)
            .isGreaterThanOrEqualTo(changesBefore + CHANGES_PER_PHASE);
        awaitAnswers(traffic, BOTH);
        traffic.close();

        // Both converge: nothing else opens connections now, so the old Envoy can be pinned too.
        try (PinnedConnection toOld = PinnedConnection.pin(admins, 0, LocalStack.LOCALHOST, listenerPort, CONVERGE, PROBE_TIMEOUT)) {
          for (PinnedConnection envoy : List.of(toOld, toNew)) {
            String name = envoy == toOld ? OLD_NODE : NEW_NODE;
            for (SignedWebhookBook book : churn.live()) {
              finalAnswers.add(await(book.path() + " served on " + name).atMost(CONVERGE)
                  .until(() -> probe(envoy, name, "final", book, true, tally), p -> p.status() / 100 == 2));
            }
            for (String gone : churn.gonePaths()) {
              finalAnswers.add(await(gone + " gone from " + name).atMost(CONVERGE)
                  .until(() -> unsignedProbe(envoy, name, gone), p -> p.status() == 404));
            }
            for (SignedWebhookBook book : steady) {
              finalAnswers.add(probe(envoy, name, "final", book, false, tally));
            }
          }
        }
      }
      newAllowed = newEnvoy.admin().statOrZero(DeliveryTally.EXT_AUTHZ_ALLOWED);
    } finally {
      if (newEnvoy != null) {
        newEnvoy.close();
      }
      traffic.close();
      churn.close();
    }

    long allowed = oldAdmin.statOrZero(DeliveryTally.EXT_AUTHZ_ALLOWED) - oldAllowedBefore + newAllowed;
    String summary = traffic.summary() + "; " + churn.made() + " changes, live " + churn.live().stream()
        .map(SignedWebhookBook::path).toList() + ", gone " + churn.gonePaths() + "; received " + tally.summary()
        + "; ext_authz allowed " + allowed + "; first answers of the new Envoy " + firstAnswers;
    log.info("event=rollout_race changes={} changes_before_first_answer={} first_answers={} new_envoy_answers={} {}",
        churn.made(), changesAtFirstAnswer, firstAnswers.stream().map(Probe::status).sorted().toList(), newEnvoyAnswers.size(),
        traffic.summary());
    assertThat(traffic.unexpected())
        .as("answers on unchanged routes other than 2xx (signed webhook, REST) or 401 (unsigned webhook): " + summary).isEmpty();
    assertThat(firstAnswers).as("the new Envoy's first answers for books that exist (2xx signed, 401 unsigned): " + summary)
        .allMatch(EnvoyRolloutEndToEndTest::expected);
    assertThat(newEnvoyAnswers).as("the new Envoy's answers while the changes go on: " + summary)
        .isNotEmpty().allMatch(EnvoyRolloutEndToEndTest::expected);
    assertThat(finalAnswers).as("both Envoys' answers for unchanged books after the changes: " + summary)
        .filteredOn(p -> p.sent().startsWith("unsigned steady")).allMatch(EnvoyRolloutEndToEndTest::expected);
    assertThat(tally.uncheckedDeliveries()).as("webhooks a book received without ext-authz's id or for another book: " + summary)
        .isEmpty();
    assertThat(tally.mismatches()).as("books that received other than their signed webhooks answered 2xx: " + summary).isEmpty();
    assertThat(tally.receivedTotal()).as("all books together received exactly what ext_authz allowed on both Envoys: " + summary)
        .isEqualTo(allowed);
    assertThat(stack.envoy().isAlive()).as("the old Envoy").isTrue();
  }

  /** A probe of a book that exists: a signed webhook answered 2xx, an unsigned one ext-authz's 401. */
  private static boolean expected(Probe probe) {
    return probe.sent().startsWith("signed") ? probe.status() / 100 == 2 : probe.status() == 401;
  }

  /** A webhook to {@code book} on the pinned Envoy, signed or not; a signed one's answer is tallied. */
  private static Probe probe(PinnedConnection envoy, String name, String phase, SignedWebhookBook book, boolean signed,
      DeliveryTally tally) {
    List<String[]> headers = new ArrayList<>(List.<String[]>of(new String[] {"content-type", "application/json"}));
    String body = "{\"event\":\"push\"}";
    if (signed) {
      SignedDelivery delivery = book.signedDelivery();
      body = delivery.body();
      delivery.headers().forEach((header, value) -> headers.add(new String[] {header, value}));
    }
    int status = send(envoy, book.path(), headers, body);
    if (signed) {
      tally.signedAnswer(book, status);
    }
    return new Probe(name, phase, (signed ? "signed " : "unsigned ") + book.name(), status);
  }

  /** An unsigned webhook to {@code path} on the pinned Envoy. */
  private static Probe unsignedProbe(PinnedConnection envoy, String name, String path) {
    int status = send(envoy, path, List.<String[]>of(new String[] {"content-type", "application/json"}), "{\"event\":\"push\"}");
    return new Probe(name, "final", "unsigned " + path, status);
  }

  private static int send(PinnedConnection envoy, String path, List<String[]> headers, String body) {
    try {
      return envoy.send("POST", path, headers, body.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      return SteadyTraffic.BROKEN;
    }
  }

  private static void awaitAnswers(SteadyTraffic traffic, String phase) {
    await(ANSWERS_PER_PHASE + " answers while " + phase).atMost(CONVERGE).until(() -> traffic.answers(phase) >= ANSWERS_PER_PHASE);
  }

  /**
   * Book changes one after another, each applied on the old Envoy (its scopes in its config_dump)
   * before the next, in turn: add, add, rename the oldest live book's webhook (its path moves),
   * remove the oldest live book. Run by the test's thread ({@link #change()}) or, from
   * {@link #start()} until {@link #close()}, by a thread of its own.
   */
  static final class Churn implements AutoCloseable {
    private final EnvoyAdmin oldEnvoy;
    private final DeliveryTally tally;
    private final Deque<SignedWebhookBook> live = new ArrayDeque<>();
    private final Set<String> gonePaths = ConcurrentHashMap.newKeySet();
    private final AtomicInteger made = new AtomicInteger();
    private final AtomicBoolean stop = new AtomicBoolean();
    private volatile Throwable failure;
    private Thread thread;

    Churn(EnvoyAdmin oldEnvoy, DeliveryTally tally) {
      this.oldEnvoy = oldEnvoy;
      this.tally = tally;
    }

    synchronized void change() {
      int n = made.get();
      switch (n % 4) {
        case 0, 1 -> {
          SignedWebhookBook book = books.create("churn-" + n, "github");
          tally.count(book);
          live.addLast(book);
          awaitOnOldEnvoy(book.path(), true);
        }
        case 2 -> {
          SignedWebhookBook book = live.pollFirst();
          SignedWebhookBook renamed = book.rename(books.webhookBooks(), "renamed-" + n);
          tally.count(renamed);
          gonePaths.add(book.path());
          live.addLast(renamed);
          awaitOnOldEnvoy(renamed.path(), true);
          awaitOnOldEnvoy(book.path(), false);
        }
        default -> {
          SignedWebhookBook book = live.pollFirst();
          stack.kubernetes().resources(ExternalBookDefinition.class).inNamespace(ServedBooks.NAMESPACE).withName(book.name()).delete();
          gonePaths.add(book.path());
          awaitOnOldEnvoy(book.path(), false);
        }
      }
      made.incrementAndGet();
    }

    /** Changes on a thread of its own until {@link #close()}. */
    void start() {
      thread = new Thread(() -> {
        try {
          while (!stop.get()) {
            change();
          }
        } catch (Throwable e) {
          failure = e;
        }
      }, "rollout-churn");
      thread.setDaemon(true);
      thread.start();
    }

    int made() {
      return made.get();
    }

    Throwable failure() {
      return failure;
    }

    synchronized List<SignedWebhookBook> live() {
      return List.copyOf(live);
    }

    List<String> gonePaths() {
      return gonePaths.stream().sorted().toList();
    }

    /** Stops the thread after its change in progress; rethrows what failed it. */
    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      if (thread != null) {
        thread.join();
      }
      if (failure != null) {
        throw new IllegalStateException("a book change failed", failure);
      }
    }

    /** Waits until the old Envoy has {@code path}'s scope (or, {@code present} false, no longer has it). */
    private void awaitOnOldEnvoy(String path, boolean present) {
      String key = path.substring(WebhookRoutes.PREFIX.length());
      await(path + (present ? " in" : " gone from") + " the old Envoy's scopes").atMost(CONVERGE)
          .until(() -> oldEnvoy.configDump("dynamic_scoped_route_configs").toString().contains(key) == present);
    }
  }
}

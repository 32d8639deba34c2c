package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.voyager.bdk.local.GatewayClient.Answer;
import io.voyager.bdk.model.RateLimit;
import io.voyager.bdk.model.WebhookRoutes;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Webhooks racing a starting and a restarting real Envoy (scoped layout, delta xDS, on-demand
 * scopes and clusters) for books that already exist: the stack's own Envoy is stopped, then a
 * fresh Envoy of the same node is started on the xds-server, again and again. From before each
 * Envoy's listener opens (refused connections are retried) several threads send unsigned and
 * signed webhooks at every book's path and at unknown paths, until every book has answered a
 * signed webhook 2xx on that Envoy; then that Envoy is stopped and the next one started. So the
 * first requests of a fresh Envoy meet scopes, route configurations and clusters that all arrive
 * on demand.
 *
 * <p>Nothing may reach a book without ext-authz's check: no unsigned webhook answered 2xx, every
 * webhook a book received carries ext-authz's {@code x-bdk-webhook-id} and names that book, each
 * book received (per Envoy) exactly the signed webhooks answered 2xx, and all books together
 * exactly what ext_authz allowed on that Envoy (its counter). A signed webhook is answered 2xx or
 * a clean (the gateway's JSON) 404 or 503 while things load, never anything else; every book is
 * served on every Envoy. {@code -Dbdk.restart.books=N}, {@code -Dbdk.restart.cycles=N} and
 * {@code -Dbdk.restart.envoy-log=router:debug,ext_authz:debug} (Envoy's
 * {@code --component-log-level}; each Envoy's log is in the run directory) for more.
 * {@link NewBookWebhookRaceEndToEndTest} races new books on a running Envoy instead.
 */
class RestartWebhookRaceEndToEndTest {
  private static final Logger log = LoggerFactory.getLogger(RestartWebhookRaceEndToEndTest.class);
  private static final String NODE_ID = "e2e-restart-race";
  private static final Duration CONVERGE = Duration.ofSeconds(30);
  private static final Duration CYCLE = Duration.ofSeconds(20);
  private static final String ACME = "customer-acme";
  private static final RateLimit GENEROUS = new RateLimit(100.0, 1000);
  private static final int BOOKS = Integer.getInteger("bdk.restart.books", 20);
  private static final int CYCLES = Integer.getInteger("bdk.restart.cycles", 2);
  /** Envoy's {@code --component-log-level} (e.g. {@code router:debug,ext_authz:debug}); blank: none. */
  private static final String ENVOY_COMPONENT_LOG_LEVEL = System.getProperty("bdk.restart.envoy-log", "").trim();
  /** Two workers, so first requests are taken by more than one of a fresh Envoy's threads. */
  private static final int ENVOY_WORKERS = 2;
  private static final int UNSIGNED_SENDERS = 4;
  private static final int SIGNED_SENDERS = 3;
  /** Pacing of a sender whose connection was refused (the listener is not open yet), not a wait for anything. */
  private static final long REFUSED_PACE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  /** Checks ext_authz allowed on the plain HTTP listener (both ext_authz filters count here). */
  private static final String EXT_AUTHZ_ALLOWED = "http.bdk_http.ext_authz.ok";
  /** Answers recorded for a request whose connection broke after it was accepted. */
  private static final int BROKEN = -1;

  @TempDir static Path runDir;
  static LocalStack stack;
  static GatewayClient gateway;
  static final List<SignedWebhookBook> books = new ArrayList<>();
  /** Paths no book has: a book's name in the books' namespace, and a namespace of no book. */
  static final List<String> unknownPaths = List.of(
      WebhookRoutes.publicPath(ACME, "no-such-book", "github"),
      WebhookRoutes.publicPath("customer-nobody", "no-such-book", "github"));

  @BeforeAll
  static void startStackWithBooks() throws Exception {
    stack = TestStacks.scopedGateway(runDir, NODE_ID, 100000)
        .serviceArgs(Component.XDS, "--book-clusters", "on-demand")
        .start();
    gateway = GatewayClient.anonymous(stack);
    WebhookBooks webhookBooks = new WebhookBooks(stack);
    for (int i = 0; i < BOOKS; i++) {
      books.add(SignedWebhookBook.create(webhookBooks, ACME, "restart-" + i, "github", GENEROUS));
    }
    // Existing books: every one routed (ext-authz's 401 to an unsigned webhook) on the stack's Envoy,
    // so the xds-server has them all before a fresh Envoy comes.
    for (SignedWebhookBook book : books) {
      await(book.name() + " routed").atMost(CONVERGE).until(() -> gateway.post(book.path(), "{}").status() == 401);
    }
    stack.envoy().close();
  }

  @AfterAll
  static void stopAll() {
    books.forEach(book -> book.backend().close());
    books.clear();
    if (stack != null) {
      stack.close();
      stack = null;
    }
  }

  /** What one path was answered on one Envoy, and (for a book) what its backend received meanwhile. */
  static final class Tally {
    final String target;
    final Collection<Answer> unsigned = new ConcurrentLinkedQueue<>();
    final Collection<Answer> signed = new ConcurrentLinkedQueue<>();
    long received;

    Tally(String target) {
      this.target = target;
    }

    long unsigned2xx() {
      return unsigned.stream().filter(a -> a.status() / 100 == 2).count();
    }

    long signed2xx() {
      return signed.stream().filter(a -> a.status() / 100 == 2).count();
    }

    String summary() {
      return target + ": unsigned=" + Answer.histogram(unsigned) + " signed=" + Answer.histogram(signed) + " received=" + received;
    }
  }

  /** One Envoy's run: every path's tally, connections refused before its listener opened, ext_authz's allowed count. */
  record Cycle(int number, long pid, Map<String, Tally> tallies, long refused, long extAuthzAllowed, List<String> unserved) {
    long receivedTotal() {
      return tallies.values().stream().mapToLong(t -> t.received).sum();
    }

    String summary() {
      return "envoy " + number + " (pid " + pid + "): refused=" + refused + " extAuthzAllowed=" + extAuthzAllowed
          + " received=" + receivedTotal() + " unserved=" + unserved + "\n  "
          + tallies.values().stream().map(Tally::summary).collect(Collectors.joining("\n  "));
    }
  }

  @Test
  void noWebhookReachesAnExistingBookWithoutExtAuthzWhileEnvoyStartsAndRestarts() throws Exception {
    List<Cycle> cycles = new ArrayList<>();
    for (int c = 1; c <= CYCLES; c++) {
      Cycle cycle = race(c);
      log.info("event=restart_race {}", cycle.summary());
      cycles.add(cycle);
    }
    String summary = cycles.stream().map(Cycle::summary).collect(Collectors.joining("\n"));

    assertThat(offenders(cycles, t -> t.unsigned2xx() > 0)).as("unsigned webhooks answered 2xx:\n" + summary).isEmpty();
    List<String> unchecked = books.stream().flatMap(book -> book.uncheckedDeliveries().stream()).toList();
    assertThat(unchecked).as("webhooks a book received without ext-authz's id or for another book:\n" + summary)
        .isEmpty();
    assertThat(offenders(cycles, t -> t.received != t.signed2xx()))
        .as("books that received other than their signed webhooks answered 2xx:\n" + summary).isEmpty();
    assertThat(cycles).as("all books together received exactly what ext_authz allowed on each Envoy:\n" + summary)
        .allMatch(cycle -> cycle.receivedTotal() == cycle.extAuthzAllowed());
    assertThat(wrongSignedAnswers(cycles)).as("signed answers other than 2xx or a JSON 404/503, by status:\n" + summary)
        .isEmpty();
    assertThat(cycles.stream().flatMap(cycle -> cycle.unserved().stream().map(name -> "envoy " + cycle.number() + " " + name)))
        .as("books never answered a signed webhook 2xx:\n" + summary).isEmpty();
  }

  /**
   * One Envoy's life: senders start, then the Envoy (same node id as every other), until every book
   * answered a signed webhook 2xx on it or {@link #CYCLE} passed; then the senders stop, its counter
   * is read and it is stopped.
   */
  private Cycle race(int number) throws Exception {
    Map<String, Tally> tallies = new LinkedHashMap<>();
    Map<String, Long> receivedBefore = new LinkedHashMap<>();
    for (SignedWebhookBook book : books) {
      tallies.put(book.path(), new Tally(book.name()));
      receivedBefore.put(book.path(), book.backend().receivedTotal());
    }
    unknownPaths.forEach(path -> tallies.put(path, new Tally(path)));
    List<String> paths = List.copyOf(tallies.keySet());
    Map<String, SignedWebhookBook> byPath = books.stream().collect(Collectors.toMap(SignedWebhookBook::path, b -> b));
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong refused = new AtomicLong();
    List<Thread> senders = new ArrayList<>();
    for (int i = 0; i < UNSIGNED_SENDERS; i++) {
      senders.add(start("unsigned-" + i, () -> {
        while (!stop.get()) {
          String path = paths.get(ThreadLocalRandom.current().nextInt(paths.size()));
          record(tallies.get(path).unsigned, refused, () -> gateway.post(path, "{\"event\":\"push\"}"));
        }
      }));
    }
    for (int i = 0; i < SIGNED_SENDERS; i++) {
      senders.add(start("signed-" + i, () -> {
        while (!stop.get()) {
          String path = paths.get(ThreadLocalRandom.current().nextInt(paths.size()));
          SignedWebhookBook signer = byPath.getOrDefault(path, books.get(0));
          SignedWebhookBook.SignedDelivery delivery = signer.signedDelivery();
          record(tallies.get(path).signed, refused, () -> gateway.post(path, delivery.body(), delivery.headers()));
        }
      }));
    }
    EnvoyProcess envoy = null;
    List<String> unserved;
    long allowed;
    try {
      await("senders refused before envoy " + number + " starts").atMost(CONVERGE).until(() -> refused.get() >= senders.size());
      envoy = EnvoyProcess.start(EnvoyBinary.locate(ProjectRoot.get()), stack.envoyBootstrap(NODE_ID), runDir.resolve("envoy-" + number),
          ENVOY_WORKERS, ENVOY_COMPONENT_LOG_LEVEL.isEmpty() ? List.of() : List.of("--component-log-level", ENVOY_COMPONENT_LOG_LEVEL));
      EnvoyProcess running = envoy;
      try {
        await("every book answers a signed webhook 2xx on envoy " + number).atMost(CYCLE)
            .failFast("envoy " + number + " exited", () -> !running.isAlive())
            .until(() -> books.stream().allMatch(b -> tallies.get(b.path()).signed2xx() > 0));
      } catch (ConditionTimeoutException e) {
        log.warn("event=restart_race_unserved envoy={} log={}", number, envoy.logFile());
      } catch (TerminalFailureException e) {
        throw new IllegalStateException("envoy " + number + " exited; its log ends with:\n" + running.logTail(30), e);
      }
      unserved = books.stream().filter(b -> tallies.get(b.path()).signed2xx() == 0).map(SignedWebhookBook::name).toList();
    } finally {
      stop.set(true);
      for (Thread sender : senders) {
        sender.join();
      }
    }
    try {
      allowed = envoy.admin().statOrZero(EXT_AUTHZ_ALLOWED);
    } finally {
      envoy.close();
    }
    for (SignedWebhookBook book : books) {
      tallies.get(book.path()).received = book.backend().receivedTotal() - receivedBefore.get(book.path());
    }
    return new Cycle(number, envoy.pid(), tallies, refused.get(), allowed, unserved);
  }

  /**
   * Sends one webhook and records its answer: a refused connection (the listener is not open yet)
   * is counted, not recorded, and paced; a connection that broke after it was accepted is recorded
   * as {@link #BROKEN}.
   */
  private static void record(Collection<Answer> answers, AtomicLong refused, java.util.function.Supplier<Answer> send) {
    try {
      answers.add(send.get());
    } catch (UncheckedIOException e) {
      if (e.getCause() instanceof ConnectException) {
        refused.incrementAndGet();
        LockSupport.parkNanos(REFUSED_PACE_NANOS);
      } else {
        answers.add(new Answer(BROKEN, "", String.valueOf(e.getCause())));
      }
    }
  }

  /** "envoy N path" of every tally that {@code offends}. */
  private static List<String> offenders(List<Cycle> cycles, java.util.function.Predicate<Tally> offends) {
    return cycles.stream()
        .flatMap(cycle -> cycle.tallies().values().stream().filter(offends).map(t -> "envoy " + cycle.number() + " " + t.target))
        .toList();
  }

  /** Signed answers neither 2xx nor the gateway's JSON 404 or 503, grouped by status: "envoy N path" each. */
  private static Map<Integer, List<String>> wrongSignedAnswers(List<Cycle> cycles) {
    Map<Integer, List<String>> wrong = new TreeMap<>();
    for (Cycle cycle : cycles) {
      for (Tally tally : cycle.tallies().values()) {
        for (Answer answer : tally.signed) {
          boolean clean = answer.status() / 100 == 2
              || ((answer.status() == 404 || answer.status() == 503) && answer.isJson());
          if (!clean) {
            List<String> where = wrong.computeIfAbsent(answer.status(), s -> new ArrayList<>());
            String place = "envoy " + cycle.number() + " " + tally.target;
            if (!where.contains(place)) {
              where.add(place);
            }
          }
        }
      }
    }
    return wrong;
  }

  private static Thread start(String name, Runnable body) {
    Thread thread = new Thread(body, name);
    thread.start();
    return thread;
  }
}

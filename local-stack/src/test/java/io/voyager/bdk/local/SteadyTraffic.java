package io.voyager.bdk.local;

import static org.awaitility.Awaitility.await;

import io.voyager.bdk.local.GatewayClient.Answer;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Traffic on routes that do not change, through the gateway, from several threads until closed:
 * signed webhooks to books that stay as they are ({@link DeliveryTally} counts their 2xx), unsigned
 * webhooks to the same books, and a REST read with a token. Each answer is counted under the phase
 * it was sent in ({@link #phase(String)}), and every answer other than the one expected — 2xx to a
 * signed webhook and to the REST read, ext-authz's 401 to an unsigned webhook — is kept with its
 * phase, body or error. Requests go over the gateway client's kept-alive connections.
 */
final class SteadyTraffic implements AutoCloseable {
  /** A sender's pause after each request: pacing (each sender about 50 requests a second at most), not a wait for anything. */
  private static final long PACE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
  private static final int SIGNED_SENDERS = 2;
  /** Answers recorded for a request whose connection broke or timed out. */
  static final int BROKEN = -1;

  /** An answer other than the expected one: the phase it was sent in, what was sent, its status and body or error. */
  record Unexpected(String phase, String sent, int status, String detail) {
    @Override
    public String toString() {
      return phase + ": " + sent + " -> " + status + " " + detail;
    }
  }

  private final List<SignedWebhookBook> books;
  private final DeliveryTally tally;
  private final AtomicBoolean stop = new AtomicBoolean();
  private final List<Thread> senders = new ArrayList<>();
  private final Map<String, AtomicLong> answersByPhase = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Unexpected> unexpected = new ConcurrentLinkedQueue<>();
  private volatile String phase;

  private SteadyTraffic(List<SignedWebhookBook> books, DeliveryTally tally, String phase) {
    this.books = List.copyOf(books);
    this.tally = tally;
    this.phase = phase;
  }

  /**
   * Starts the senders in phase {@code phase}: signed and unsigned webhooks to {@code books}
   * through {@code webhooks} (no token), GETs of {@code restPath} through {@code api} (a token).
   * Every book is counted in {@code tally} first.
   */
  static SteadyTraffic start(GatewayClient webhooks, GatewayClient api, String restPath, List<SignedWebhookBook> books,
      DeliveryTally tally, String phase) {
    SteadyTraffic traffic = new SteadyTraffic(books, tally, phase);
    books.forEach(tally::count);
    for (int i = 0; i < SIGNED_SENDERS; i++) {
      traffic.startSender("steady-signed-" + i, () -> {
        SignedWebhookBook book = traffic.anyBook();
        Answer answer = book.postSigned(webhooks);
        tally.signedAnswer(book, answer.status());
        return new Sent("signed " + book.name(), answer, answer.status() / 100 == 2);
      });
    }
    traffic.startSender("steady-unsigned", () -> {
      SignedWebhookBook book = traffic.anyBook();
      Answer answer = book.postUnsigned(webhooks);
      return new Sent("unsigned " + book.name(), answer, answer.status() == 401);
    });
    traffic.startSender("steady-rest", () -> {
      Answer answer = api.get(restPath);
      return new Sent("GET " + restPath, answer, answer.status() / 100 == 2);
    });
    return traffic;
  }

  /**
   * Creates library book {@code name} through {@code api} (a token that may) and waits until a REST
   * read of it answers 200: the path the traffic's REST sender reads.
   */
  static String libraryBook(GatewayClient api, String name, Duration timeout) {
    Answer created = api.postJson("/api/v1/books", Map.of("name", name, "version", "1.0.0"));
    if (created.status() != 201) {
      throw new IllegalStateException("library book " + name + " not created: " + created.status() + " " + created.body());
    }
    String path = "/api/v1/books/" + created.json().path("book_id").asText();
    await("library REST read of " + name).atMost(timeout).until(() -> api.get(path).status() == 200);
    return path;
  }

  /** From now on, answers count under {@code phase}. */
  void phase(String phase) {
    this.phase = phase;
  }

  /** Answers (of any kind, expected or not) to requests sent in {@code phase}. */
  long answers(String phase) {
    AtomicLong count = answersByPhase.get(phase);
    return count == null ? 0 : count.get();
  }

  /** Every answer other than the expected one, in the order they came. */
  List<Unexpected> unexpected() {
    return List.copyOf(unexpected);
  }

  /** Answers per phase, for messages. */
  String summary() {
    Map<String, Long> byPhase = new TreeMap<>();
    answersByPhase.forEach((p, count) -> byPhase.put(p, count.get()));
    return "answers by phase " + byPhase + ", unexpected " + unexpected.size();
  }

  /** Stops the senders and waits for their last answers. */
  @Override
  public void close() throws InterruptedException {
    stop.set(true);
    for (Thread sender : senders) {
      sender.join();
    }
  }

  private record Sent(String what, Answer answer, boolean expected) {}

  private SignedWebhookBook anyBook() {
    return books.get(ThreadLocalRandom.current().nextInt(books.size()));
  }

  private void startSender(String name, Supplier<Sent> send) {
    Thread sender = new Thread(() -> {
      while (!stop.get()) {
        String sentIn = phase;
        try {
          Sent sent = send.get();
          if (!sent.expected()) {
            unexpected.add(new Unexpected(sentIn, sent.what(), sent.answer().status(), sent.answer().body()));
          }
        } catch (UncheckedIOException e) {
          unexpected.add(new Unexpected(sentIn, name, BROKEN, String.valueOf(e.getCause())));
        }
        answersByPhase.computeIfAbsent(sentIn, p -> new AtomicLong()).incrementAndGet();
        LockSupport.parkNanos(PACE_NANOS);
      }
    }, name);
    sender.setDaemon(true);
    senders.add(sender);
    sender.start();
  }
}

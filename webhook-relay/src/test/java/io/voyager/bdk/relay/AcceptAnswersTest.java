package io.voyager.bdk.relay;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import com.sun.net.httpserver.HttpServer;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The accept port's answers on a real socket, with the relay's process "killed" after each call of
 * the answer's writer that may put bytes on the wire: that call is made, the writer makes no
 * other, and the connection is closed as the kernel closes a killed process's sockets (what was
 * written stays, nothing more comes). What reached the client must be nothing (Envoy then answers
 * 503) or one complete HTTP answer — never a 202 whose body is missing, which Envoy would have
 * passed on to the sender and could only cut.
 */
class AcceptAnswersTest {
  /** A bound on reading what the server wrote, should the connection never be closed. */
  private static final Duration READ_GUARD = Duration.ofSeconds(30);
  /** Calls of a writer after which it is killed: more than any writer here makes. */
  private static final int MOST_CALLS = 10;

  /** An answer's writer, as the accept handler calls it (it closes the exchange afterwards). */
  interface Writer {
    void write(HttpExchange exchange) throws IOException;
  }

  @Test
  void aRelayKilledAtAnyPointOfIts202LeavesACompleteAnswerOrNone() throws Exception {
    Writer accepted = exchange -> AcceptAnswers.accepted(exchange, "wh-1", false);
    Wire whole = null;
    for (int killAfter = 0; killAfter <= MOST_CALLS && whole == null; killAfter++) {
      Wire wire = answerKilledAfter(accepted, killAfter);
      assertThat(wire.incomplete()).as("killed after call %d, the wire holds: %s", killAfter, wire.text()).isNull();
      if (!wire.killed()) {
        whole = wire;
      }
    }
    assertThat(whole).as("the writer finished within %d calls", MOST_CALLS).isNotNull();
    assertThat(whole.statusLine()).isEqualTo("HTTP/1.1 202 Accepted");
    assertThat(whole.headers()).containsEntry("x-bdk-webhook-id", "wh-1").containsEntry("x-bdk-queued", "true")
        .containsEntry("content-length", "0").doesNotContainKey("x-bdk-duplicate");
  }

  @Test
  void aDuplicateSaysSoInAHeader() throws Exception {
    Wire wire = answerKilledAfter(exchange -> AcceptAnswers.accepted(exchange, "wh-2", true), MOST_CALLS);
    assertThat(wire.killed()).isFalse();
    assertThat(wire.headers()).containsEntry("x-bdk-webhook-id", "wh-2").containsEntry("x-bdk-queued", "true")
        .containsEntry("x-bdk-duplicate", "true");
  }

  @Test
  void aRefusalKeepsItsJsonBody() throws Exception {
    Wire wire = answerKilledAfter(exchange -> AcceptAnswers.refused(exchange, 503, "queue_unavailable", "send it again"),
        MOST_CALLS);
    assertThat(wire.statusLine()).isEqualTo("HTTP/1.1 503 Service Unavailable");
    assertThat(wire.headers()).containsEntry("content-type", "application/json").doesNotContainKey("x-bdk-queued");
    assertThat(wire.incomplete()).isNull();
    assertThat(wire.body()).contains("\"code\":503", "\"reason\":\"queue_unavailable\"", "\"message\":\"send it again\"");
  }

  /**
   * The check above can tell: a 202 written as status line and headers, then a body (as the relay
   * answered before), killed between the two, reaches the client cut.
   */
  @Test
  void a202WithABodyKilledAfterItsHeadersIsSeenCut() throws Exception {
    byte[] body = "{\"webhook_id\":\"wh-3\",\"queued\":true}".getBytes(ISO_8859_1);
    Writer headersThenBody = exchange -> {
      exchange.sendResponseHeaders(202, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    };
    Wire wire = answerKilledAfter(headersThenBody, 1);
    assertThat(wire.statusLine()).isEqualTo("HTTP/1.1 202 Accepted");
    assertThat(wire.incomplete()).isEqualTo("content-length " + body.length + " but 0 bytes of body");
  }

  /** What one POST got from a server whose writer was killed after its {@code killAfter}-th call that may write. */
  private static Wire answerKilledAfter(Writer writer, int killAfter) throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    AtomicBoolean killed = new AtomicBoolean();
    CountDownLatch handled = new CountDownLatch(1);
    server.createContext("/", exchange -> {
      try (HttpExchange relay = new KilledExchange(exchange, killAfter)) {
        writer.write(relay);
      } catch (Killed e) {
        killed.set(true);
      } finally {
        handled.countDown();
      }
    });
    server.start();
    boolean stopped = false;
    try (Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getAddress().getPort())) {
      client.setSoTimeout((int) READ_GUARD.toMillis());
      client.getOutputStream().write(
          "POST /accept HTTP/1.1\r\nHost: relay\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".getBytes(ISO_8859_1));
      client.getOutputStream().flush();
      assertThat(handled.await(READ_GUARD.toSeconds(), TimeUnit.SECONDS)).as("the writer ran").isTrue();
      // the killed process's sockets closed: what it wrote stays on the wire, nothing more comes
      server.stop(0);
      stopped = true;
      return new Wire(new String(client.getInputStream().readAllBytes(), ISO_8859_1), killed.get());
    } finally {
      if (!stopped) {
        server.stop(0);
      }
    }
  }

  /** What reached the client, and whether the writer was killed before it finished. */
  record Wire(String text, boolean killed) {
    private int headEnd() {
      return text.indexOf("\r\n\r\n");
    }

    String statusLine() {
      int end = text.indexOf("\r\n");
      return end < 0 ? text : text.substring(0, end);
    }

    /** Header names in lower case to their first value. */
    Map<String, String> headers() {
      Map<String, String> headers = new TreeMap<>();
      String head = headEnd() < 0 ? text : text.substring(0, headEnd());
      for (String line : head.split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0) {
          headers.putIfAbsent(line.substring(0, colon).toLowerCase(Locale.ROOT), line.substring(colon + 1).strip());
        }
      }
      return headers;
    }

    String body() {
      return headEnd() < 0 ? "" : text.substring(headEnd() + 4);
    }

    /** Null when nothing or one complete answer arrived, else what is missing. */
    String incomplete() {
      if (text.isEmpty()) {
        return null;
      }
      if (headEnd() < 0) {
        return "the status line and headers are cut";
      }
      String length = headers().get("content-length");
      if (length == null) {
        return "no content-length";
      }
      int bodyBytes = text.length() - headEnd() - 4;
      return bodyBytes == Long.parseLong(length) ? null : "content-length " + length + " but " + bodyBytes + " bytes of body";
    }
  }

  /** Thrown at the writer where its process was killed. */
  static final class Killed extends RuntimeException {
    Killed() {
      super("the relay's process was killed here", null, false, false);
    }
  }

  /**
   * An exchange whose process dies right after its {@code killAfter}-th call that may write to the
   * wire (sending the headers, the body's write, flush and close, closing the exchange): that call
   * is made, then it and every later call throw {@link Killed}.
   */
  static final class KilledExchange extends HttpExchange {
    private final HttpExchange exchange;
    private final int killAfter;
    private int writes;
    private boolean dead;

    KilledExchange(HttpExchange exchange, int killAfter) {
      this.exchange = exchange;
      this.killAfter = killAfter;
      this.dead = killAfter == 0;
    }

    private void alive() {
      if (dead) {
        throw new Killed();
      }
    }

    private void wrote() {
      if (++writes == killAfter) {
        dead = true;
        throw new Killed();
      }
    }

    @Override
    public void sendResponseHeaders(int status, long length) throws IOException {
      alive();
      exchange.sendResponseHeaders(status, length);
      wrote();
    }

    @Override
    public OutputStream getResponseBody() {
      alive();
      OutputStream body = exchange.getResponseBody();
      return new FilterOutputStream(body) {
        @Override
        public void write(int b) throws IOException {
          alive();
          body.write(b);
          wrote();
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
          alive();
          body.write(bytes, offset, length);
          wrote();
        }

        @Override
        public void flush() throws IOException {
          alive();
          body.flush();
          wrote();
        }

        @Override
        public void close() throws IOException {
          alive();
          body.close();
          wrote();
        }
      };
    }

    @Override
    public void close() {
      alive();
      exchange.close();
      wrote();
    }

    @Override
    public Headers getResponseHeaders() {
      alive();
      return exchange.getResponseHeaders();
    }

    @Override
    public Headers getRequestHeaders() {
      return exchange.getRequestHeaders();
    }

    @Override
    public URI getRequestURI() {
      return exchange.getRequestURI();
    }

    @Override
    public String getRequestMethod() {
      return exchange.getRequestMethod();
    }

    @Override
    public HttpContext getHttpContext() {
      return exchange.getHttpContext();
    }

    @Override
    public InputStream getRequestBody() {
      return exchange.getRequestBody();
    }

    @Override
    public InetSocketAddress getRemoteAddress() {
      return exchange.getRemoteAddress();
    }

    @Override
    public int getResponseCode() {
      return exchange.getResponseCode();
    }

    @Override
    public InetSocketAddress getLocalAddress() {
      return exchange.getLocalAddress();
    }

    @Override
    public String getProtocol() {
      return exchange.getProtocol();
    }

    @Override
    public Object getAttribute(String name) {
      return exchange.getAttribute(name);
    }

    @Override
    public void setAttribute(String name, Object value) {
      exchange.setAttribute(name, value);
    }

    @Override
    public void setStreams(InputStream in, OutputStream out) {
      exchange.setStreams(in, out);
    }

    @Override
    public HttpPrincipal getPrincipal() {
      return exchange.getPrincipal();
    }
  }
}

package io.voyager.bdk.local;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * One kept-alive HTTP/1.1 connection to the gateway listener that one particular Envoy of several
 * accepted, so a probe sent on it asks that Envoy and no other. Several Envoys share the listener
 * port (SO_REUSEPORT): a new connection lands on whichever Envoy the kernel picks, and stays with
 * it. Pinning opens connections until the wanted Envoy's listener counter
 * ({@code listener.<address>_<port>.downstream_cx_total}) is the only one that moved, by one
 * ({@link #owner}). When Envoy closes the connection (an answer with {@code connection: close}, a
 * drained listener) the next request pins a new one to the same Envoy ({@link #reconnects()}); a
 * request left unanswered for its read timeout ({@link #READ_TIMEOUT} unless given) fails with
 * {@link SocketTimeoutException} and its connection is dropped. Not thread-safe: one probing thread
 * per connection. Pinning is sure only while no other client opens connections to the listener
 * (kept-alive ones may go on); a connection another client opened meanwhile makes the counters
 * ambiguous, and pinning tries again.
 */
public final class PinnedConnection implements AutoCloseable {
  /**
   * How long a request may go unanswered. Short on purpose: a request Envoy holds (e.g. the
   * on_demand filter waiting for a route configuration that does not come) is reported as such by
   * the caller and the probing goes on on a new connection, instead of the probe's own timeout
   * becoming the figure.
   */
  public static final Duration READ_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration ACCEPT_WAIT = Duration.ofSeconds(2);
  private final List<EnvoyAdmin> admins;
  private final int envoy;
  private final String host;
  private final int port;
  private final String acceptedStat;
  private final Duration pinTimeout;
  private final Duration readTimeout;
  private Socket socket;
  private InputStream in;
  private OutputStream out;
  private int reconnects = -1;

  private PinnedConnection(List<EnvoyAdmin> admins, int envoy, String host, int port, Duration pinTimeout,
      Duration readTimeout) {
    this.admins = List.copyOf(admins);
    this.envoy = envoy;
    this.host = host;
    this.port = port;
    this.acceptedStat = "listener." + host + "_" + port + ".downstream_cx_total";
    this.pinTimeout = pinTimeout;
    this.readTimeout = readTimeout;
  }

  /** One pinned connection per Envoy of {@code admins}, in their order, to listener {@code host:port}. */
  public static List<PinnedConnection> pinEach(List<EnvoyAdmin> admins, String host, int port, Duration pinTimeout)
      throws IOException {
    List<PinnedConnection> pinned = new ArrayList<>();
    for (int e = 0; e < admins.size(); e++) {
      pinned.add(pin(admins, e, host, port, pinTimeout, READ_TIMEOUT));
    }
    return List.copyOf(pinned);
  }

  /**
   * A connection to listener {@code host:port} that Envoy {@code envoy} (0-based, of {@code admins})
   * accepted, its requests left unanswered for {@code readTimeout} failing. An Envoy whose listener
   * does not exist yet (its counter unreadable) is waited for, up to {@code pinTimeout}: the
   * first connection it accepts is this one, unless another client connected to it meanwhile.
   */
  public static PinnedConnection pin(List<EnvoyAdmin> admins, int envoy, String host, int port, Duration pinTimeout,
      Duration readTimeout) throws IOException {
    PinnedConnection connection = new PinnedConnection(admins, envoy, host, port, pinTimeout, readTimeout);
    connection.pin();
    return connection;
  }

  /** Which Envoy (0-based) this connection is pinned to. */
  public int envoy() {
    return envoy;
  }

  /** How often the connection was pinned again after Envoy closed it. */
  public int reconnects() {
    return Math.max(0, reconnects);
  }

  /**
   * The Envoy that accepted a connection, from every Envoy's accepted-connections counter read
   * before and after: the index of the only one that moved, if it moved by exactly one;
   * {@link #NOT_YET} when none moved yet (Envoy accepts on its next event loop turn);
   * {@link #AMBIGUOUS} when waiting longer cannot tell (another client connected meanwhile, an
   * unreadable counter).
   */
  static int owner(long[] before, long[] after) {
    int owner = NOT_YET;
    for (int i = 0; i < before.length; i++) {
      if (before[i] < 0 || after[i] < 0) {
        return AMBIGUOUS;
      }
      long moved = after[i] - before[i];
      if (moved == 1 && owner == NOT_YET) {
        owner = i;
      } else if (moved != 0) {
        return AMBIGUOUS;
      }
    }
    return owner;
  }

  static final int NOT_YET = -1;
  static final int AMBIGUOUS = -2;

  /** The status of {@code method path} sent on this Envoy's connection (pinned anew if Envoy closed it). */
  public int send(String method, String path, List<String[]> headers, byte[] body) throws IOException {
    StringBuilder head = new StringBuilder();
    head.append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
        .append("host: ").append(host).append(':').append(port).append("\r\n")
        .append("content-length: ").append(body.length).append("\r\n");
    for (String[] h : headers) {
      head.append(h[0]).append(": ").append(h[1]).append("\r\n");
    }
    head.append("\r\n");
    byte[] request = concat(head.toString().getBytes(StandardCharsets.ISO_8859_1), body);
    for (int attempt = 0; ; attempt++) {
      if (socket == null) {
        pin();
      }
      Response response;
      try {
        out.write(request);
        out.flush();
        response = read(in, method.equals("HEAD"));
      } catch (SocketTimeoutException e) {
        closeSocket();
        throw e;
      } catch (IOException e) {
        closeSocket();
        if (attempt == 0) {
          continue; // Envoy closed the kept-alive connection before this request: once more on a new one
        }
        throw e;
      }
      if (response.close()) {
        closeSocket();
      }
      return response.status();
    }
  }

  private void pin() throws IOException {
    long deadline = System.nanoTime() + pinTimeout.toNanos();
    while (System.nanoTime() < deadline) {
      long[] before = accepted();
      if (before[envoy] < 0) {
        LockSupport.parkNanos(10_000_000); // the wanted Envoy has no such listener (yet): nothing to connect to
        continue;
      }
      Socket candidate = new Socket();
      candidate.setTcpNoDelay(true);
      candidate.setSoTimeout((int) readTimeout.toMillis());
      candidate.connect(new InetSocketAddress(host, port), (int) READ_TIMEOUT.toMillis());
      int owner = NOT_YET;
      long acceptDeadline = System.nanoTime() + ACCEPT_WAIT.toNanos();
      while (owner == NOT_YET && System.nanoTime() < acceptDeadline) {
        owner = owner(before, accepted());
        if (owner == NOT_YET) {
          LockSupport.parkNanos(2_000_000);
        }
      }
      if (owner == envoy) {
        socket = candidate;
        in = new BufferedInputStream(candidate.getInputStream());
        out = candidate.getOutputStream();
        reconnects++;
        return;
      }
      candidate.close();
      LockSupport.parkNanos(2_000_000); // pacing: landed elsewhere, or the wanted listener is not there yet
    }
    throw new IOException("no connection to the listener " + host + ":" + port + " landed on Envoy " + (envoy + 1) + " within "
        + pinTimeout.toSeconds() + " s");
  }

  private long[] accepted() {
    long[] counts = new long[admins.size()];
    for (int i = 0; i < counts.length; i++) {
      counts[i] = admins.get(i).statOrMinusOne(acceptedStat);
    }
    return counts;
  }

  /** An answer's status and whether Envoy closes the connection after it. */
  record Response(int status, boolean close) {}

  /**
   * Reads one HTTP/1.1 response from {@code in}: status line, headers, and the body by
   * {@code content-length}, chunked, or (neither) until the connection closes.
   */
  static Response read(InputStream in, boolean headRequest) throws IOException {
    String statusLine = line(in);
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP/1.x status line: " + statusLine);
    }
    int status = Integer.parseInt(parts[1]);
    long length = -1;
    boolean chunked = false;
    boolean close = parts[0].equals("HTTP/1.0");
    for (String header = line(in); !header.isEmpty(); header = line(in)) {
      int colon = header.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = header.substring(colon + 1).trim().toLowerCase(Locale.ROOT);
      switch (name) {
        case "content-length" -> length = Long.parseLong(value);
        case "transfer-encoding" -> chunked = value.contains("chunked");
        case "connection" -> close = value.contains("close") || (close && !value.contains("keep-alive"));
        default -> { }
      }
    }
    if (headRequest || status / 100 == 1 || status == 204 || status == 304) {
      return new Response(status, close);
    }
    if (chunked) {
      for (long size = Long.parseLong(line(in).split(";", 2)[0].trim(), 16); size > 0;
          size = Long.parseLong(line(in).split(";", 2)[0].trim(), 16)) {
        skip(in, size);
        line(in);
      }
      for (String trailer = line(in); !trailer.isEmpty(); trailer = line(in)) {
        // trailers are not needed
      }
    } else if (length >= 0) {
      skip(in, length);
    } else {
      in.transferTo(OutputStream.nullOutputStream());
      close = true;
    }
    return new Response(status, close);
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        throw new IOException("connection closed mid-response");
      }
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(StandardCharsets.ISO_8859_1);
  }

  private static void skip(InputStream in, long n) throws IOException {
    long left = n;
    while (left > 0) {
      long skipped = in.skip(left);
      if (skipped <= 0) {
        if (in.read() < 0) {
          throw new IOException("connection closed mid-body");
        }
        skipped = 1;
      }
      left -= skipped;
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] all = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  private void closeSocket() {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing a connection Envoy may have closed already
      }
    }
    socket = null;
    in = null;
    out = null;
  }

  @Override
  public void close() {
    closeSocket();
  }
}

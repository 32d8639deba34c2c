package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A pinned connection's pure parts: which Envoy accepted a connection, and reading answers off a
 * kept-alive connection. (Pinning itself needs real Envoys: the convergence benchmark and
 * {@code EnvoyRolloutEndToEndTest}.)
 */
class PinnedConnectionTest {
  @Test
  void theEnvoyThatAcceptedAConnectionIsTheOnlyOneWhoseCounterMovedByOne() {
    assertThat(PinnedConnection.owner(new long[] {5, 7, 9}, new long[] {5, 8, 9})).isEqualTo(1);
    assertThat(PinnedConnection.owner(new long[] {5}, new long[] {6})).isZero();
    assertThat(PinnedConnection.owner(new long[] {5, 7, 9}, new long[] {5, 7, 9})).as("not accepted yet")
        .isEqualTo(PinnedConnection.NOT_YET);
    assertThat(PinnedConnection.owner(new long[] {5, 7, 9}, new long[] {6, 8, 9})).as("another client connected too")
        .isEqualTo(PinnedConnection.AMBIGUOUS);
    assertThat(PinnedConnection.owner(new long[] {5, 7, 9}, new long[] {5, 9, 9})).as("two on one Envoy")
        .isEqualTo(PinnedConnection.AMBIGUOUS);
    assertThat(PinnedConnection.owner(new long[] {5, -1, 9}, new long[] {6, -1, 9})).as("an unreadable counter")
        .isEqualTo(PinnedConnection.AMBIGUOUS);
  }

  @Test
  void answersAreReadWholeSoTheNextRequestOnTheConnectionStartsClean() throws IOException {
    InputStream in = stream("HTTP/1.1 401 Unauthorized\r\ncontent-length: 5\r\ncontent-type: text/plain\r\n\r\nnope!"
        + "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"
        + "HTTP/1.1 204 No Content\r\n\r\n"
        + "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");

    assertThat(PinnedConnection.read(in, false)).isEqualTo(new PinnedConnection.Response(401, false));
    assertThat(PinnedConnection.read(in, false)).isEqualTo(new PinnedConnection.Response(200, false));
    assertThat(PinnedConnection.read(in, false)).isEqualTo(new PinnedConnection.Response(204, false));
    assertThat(PinnedConnection.read(in, false)).isEqualTo(new PinnedConnection.Response(404, true));
    assertThat(in.read()).isEqualTo(-1);
  }

  @Test
  void anAnswerWithoutALengthEndsWithTheConnectionAndOneCutShortIsAnError() throws IOException {
    assertThat(PinnedConnection.read(stream("HTTP/1.1 200 OK\r\n\r\nall of it"), false))
        .isEqualTo(new PinnedConnection.Response(200, true));
    assertThat(PinnedConnection.read(stream("HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n"), false))
        .isEqualTo(new PinnedConnection.Response(200, true));
    assertThatThrownBy(() -> PinnedConnection.read(stream("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort"), false))
        .isInstanceOf(IOException.class).hasMessageContaining("mid-body");
    assertThatThrownBy(() -> PinnedConnection.read(stream("HTTP/1.1 200 OK\r\ncontent-le"), false))
        .isInstanceOf(IOException.class).hasMessageContaining("mid-response");
    assertThatThrownBy(() -> PinnedConnection.read(stream("SSH-2.0-OpenSSH\r\n\r\n"), false))
        .isInstanceOf(IOException.class).hasMessageContaining("status line");
  }

  private static InputStream stream(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1));
  }
}

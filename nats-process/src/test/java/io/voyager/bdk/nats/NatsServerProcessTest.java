package io.voyager.bdk.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NatsServerProcessTest {
  @TempDir Path dir;

  @Test
  void startsOnAnEphemeralPortServesJetStreamAndComesBackOnTheSamePortWithItsStore() throws Exception {
    try (NatsServerProcess server = NatsServerProcess.startEphemeral(NatsServerBinary.checkoutRoot(), dir)) {
      int port = server.port();
      assertThat(port).isPositive();
      assertThat(info(port)).contains("\"jetstream\":true").contains("\"max_payload\":8388608");
      assertThat(server.storeDir()).isDirectory();

      server.kill();
      assertThat(server.isRunning()).isFalse();
      server.startAgain();
      assertThat(server.port()).isEqualTo(port);
      assertThat(info(port)).contains("\"jetstream\":true");

      server.restart();
      assertThat(server.url()).isEqualTo("nats://127.0.0.1:" + port);
    }
  }

  @Test
  void theConfigKeepsTheServerOnLoopbackWithFileStorage() {
    String conf = NatsServerProcess.config(NatsServerProcess.Settings.defaults().withPort(4222),
        Path.of("/tmp/s"), Path.of("/tmp/p"));
    assertThat(conf).contains("host: 127.0.0.1", "port: 4222", "store_dir: \"/tmp/s\"", "max_payload: 8388608");
    assertThat(NatsServerProcess.config(NatsServerProcess.Settings.defaults(), Path.of("/s"), Path.of("/p")))
        .contains("port: -1");
  }

  @Test
  void anExplicitBinaryMustBeExecutableAndThePinnedVersionComesFromGoMod() throws Exception {
    assertThatThrownBy(() -> NatsServerBinary.locate(Map.of("NATS_SERVER_BIN", "/nonexistent/nats"), "/root", dir))
        .hasMessageContaining("NATS_SERVER_BIN=/nonexistent/nats is not an executable file");
    assertThat(NatsServerBinary.pinnedVersion(NatsServerBinary.checkoutRoot())).hasValueSatisfying(v -> assertThat(v).matches("2\\.1[1-9]\\..*|2\\.[2-9][0-9]\\..*"));
    Files.createDirectories(dir.resolve("nats-server"));
    Files.writeString(dir.resolve("nats-server/go.mod"), "module x\n\ntool github.com/nats-io/nats-server/v2\n\n"
        + "require (\n\tgithub.com/nats-io/nats-server/v2 v2.15.3 // indirect\n)\n");
    assertThat(NatsServerBinary.pinnedVersion(dir)).hasValue("2.15.3");
    assertThat(NatsServerBinary.locate(Map.of("NATS_SERVER_DIR", dir.resolve("empty").toString()), "/root", dir)).isEmpty();
  }

  /** The INFO line a NATS server greets every client with. */
  private static String info(int port) throws Exception {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      socket.setSoTimeout(5000);
      InputStream in = socket.getInputStream();
      StringBuilder line = new StringBuilder();
      int c;
      while ((c = in.read()) != -1 && c != '\n') {
        line.append((char) c);
      }
      OutputStream out = socket.getOutputStream();
      out.write("CONNECT {}\r\n".getBytes(StandardCharsets.US_ASCII));
      return line.toString();
    }
  }
}

package io.voyager.bdk.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free loopback ports for a process to bind a moment later (test stacks, test backends).
 *
 * <p>They are picked from 20000 (above {@code make run}'s fixed ports) up to the start of the
 * kernel's ephemeral range ({@code ip_local_port_range}, 32768–60999 by default): a port picked
 * there stays free until its owner binds it, since neither outgoing connections nor binds to port
 * 0 are given one. Picking from the ephemeral range raced with those ("Address already in use"
 * under load). Falls back to port 0's choice when the range leaves no room.
 */
public final class LoopbackPorts {
  private static final int FLOOR = 20_000;

  private LoopbackPorts() {}

  /** {@code count} distinct ports, bound together then released, so none is handed out twice. */
  public static List<Integer> freePorts(int count) {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int ceiling = ephemeralRangeStart();
      int span = Math.max(0, ceiling - FLOOR);
      int start = span > 0 ? ThreadLocalRandom.current().nextInt(span) : 0;
      for (int i = 0; i < span && sockets.size() < count; i++) {
        ServerSocket socket = new ServerSocket();
        socket.setReuseAddress(true);
        try {
          socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), FLOOR + (start + i) % span), 1);
          sockets.add(socket);
        } catch (IOException taken) {
          socket.close();
        }
      }
      while (sockets.size() < count) {
        ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        socket.setReuseAddress(true);
        sockets.add(socket);
      }
      return sockets.stream().map(ServerSocket::getLocalPort).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find free local ports", e);
    } finally {
      for (ServerSocket socket : sockets) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // released anyway when the process exits
        }
      }
    }
  }

  /** One free port, as {@link #freePorts}. */
  public static int freePort() {
    return freePorts(1).get(0);
  }

  private static int ephemeralRangeStart() {
    try {
      // Read as lines: Files.readString sizes its read from the file's reported size, which procfs
      // gets wrong (it returned "3" for "32768\t60999" here), and every port then came from port 0.
      String[] range = String.join(" ", Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))).trim().split("\\s+");
      int start = Integer.parseInt(range[0]);
      return start > FLOOR ? start : 32_768;
    } catch (IOException | RuntimeException unreadable) {
      return 32_768; // not Linux, or unreadable: the default range
    }
  }
}

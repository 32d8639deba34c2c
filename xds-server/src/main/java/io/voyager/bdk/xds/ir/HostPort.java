package io.voyager.bdk.xds.ir;

/** One upstream address. */
public record HostPort(String host, int port) implements Comparable<HostPort> {
  @Override
  public int compareTo(HostPort o) {
    int c = host.compareTo(o.host);
    return c != 0 ? c : Integer.compare(port, o.port);
  }
}

package io.voyager.bdk.xds.model;

/**
 * One address given by a flag ({@code --library-endpoint}, {@code --ext-authz-endpoint}) that a
 * backend's cluster uses instead of the endpoints of its Service's EndpointSlices — for a gateway
 * whose backend runs outside the cluster it watches (the local stack against a real cluster).
 *
 * @param host an IPv4 or IPv6 literal
 * @param port 1–65535
 */
public record FixedEndpoint(String host, int port) {
  public FixedEndpoint {
    if (!IpLiterals.isIpLiteral(host)) {
      throw new IllegalArgumentException("host '" + host + "' is not an IP literal (Envoy resolves no names here)");
    }
    if (!PortNumbers.isPort(port)) {
      throw new IllegalArgumentException("port " + port + " " + PortNumbers.NOT_A_PORT);
    }
  }

  /**
   * Parses {@code HOST:PORT}; an IPv6 host is written in brackets, {@code [::1]:50051}.
   *
   * @throws IllegalArgumentException saying what is wrong with the value (without the flag name)
   */
  public static FixedEndpoint parse(String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("expected HOST:PORT, got an empty value");
    }
    int colon = value.lastIndexOf(':');
    if (colon <= 0 || colon == value.length() - 1) {
      throw new IllegalArgumentException("expected HOST:PORT, got '" + value + "'");
    }
    String host = value.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      throw new IllegalArgumentException("expected HOST:PORT with an IPv6 host in brackets, got '" + value + "'");
    }
    String port = value.substring(colon + 1);
    if (!port.chars().allMatch(Character::isDigit) || port.length() > 5) {
      throw new IllegalArgumentException("port '" + port + "' " + PortNumbers.NOT_A_PORT);
    }
    return new FixedEndpoint(host, Integer.parseInt(port));
  }

  @Override
  public String toString() {
    return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
  }
}

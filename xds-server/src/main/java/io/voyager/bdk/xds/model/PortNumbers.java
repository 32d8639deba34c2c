package io.voyager.bdk.xds.model;

/**
 * The TCP port range Envoy accepts in a socket address (1–65535). A value outside it anywhere in
 * a resource makes Envoy reject the whole xDS response it arrived in, so every port that reaches
 * Envoy is checked against this first. Pure.
 */
public final class PortNumbers {
  private PortNumbers() {}

  public static final int MIN = 1;
  public static final int MAX = 65535;
  /** How a refusal reads after the field and value: {@code spec.service.port: 70000 is not a port number (1-65535)}. */
  public static final String NOT_A_PORT = "is not a port number (" + MIN + "-" + MAX + ")";

  public static boolean isPort(int value) {
    return value >= MIN && value <= MAX;
  }
}

package io.voyager.bdk.xds.model;

/**
 * Which port of a Service to route to: by the Service port's name (e.g. {@code grpc}) or by its
 * number. EndpointSlice ports carry the Service port's name and the target port's number, so a
 * name matches exactly; a number matches a slice port with that number, or the only port of a
 * single-port slice (the usual book Service, whose target port may differ from its port).
 */
public record PortSelector(String name, Integer number) {
  public PortSelector {
    if ((name == null) == (number == null)) {
      throw new IllegalArgumentException("port: exactly one of name or number is required");
    }
    if (number != null && !PortNumbers.isPort(number)) {
      throw new IllegalArgumentException("port: " + number + " " + PortNumbers.NOT_A_PORT);
    }
  }

  public static PortSelector named(String name) {
    return new PortSelector(name, null);
  }

  public static PortSelector numbered(int number) {
    return new PortSelector(null, number);
  }

  /** {@code grpc} or {@code 8080}. */
  @Override
  public String toString() {
    return name != null ? name : String.valueOf(number);
  }
}

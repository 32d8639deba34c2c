package io.voyager.bdk.extauthz.scheme;

/** One HTTP header line a sender adds: {@code name: value}. */
public record Header(String name, String value) {
  @Override
  public String toString() {
    return name + ": " + value;
  }
}

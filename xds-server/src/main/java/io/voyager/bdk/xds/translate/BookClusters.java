package io.voyager.bdk.xds.translate;

/**
 * How Envoy gets books' clusters ({@code --book-clusters}): all at once ({@link #EAGER}), or
 * each when a request first needs it ({@link #ON_DEMAND}: on-demand cluster discovery, scoped
 * layout on delta xDS only; {@link ClusterDelivery}).
 */
public enum BookClusters {
  EAGER("eager"),
  ON_DEMAND("on-demand");

  private final String flagValue;

  BookClusters(String flagValue) {
    this.flagValue = flagValue;
  }

  /** The value as {@code --book-clusters} spells it. */
  public String flagValue() {
    return flagValue;
  }

  /** The value {@code flag} names ({@code eager} or {@code on-demand}). */
  public static BookClusters ofFlag(String flag) {
    for (BookClusters value : values()) {
      if (value.flagValue.equals(flag)) {
        return value;
      }
    }
    throw new IllegalArgumentException("--book-clusters: '" + flag + "' is not one of eager, on-demand");
  }
}

package io.voyager.bdk.samplebook;

/**
 * Makes request-derived values safe for one-line {@code key=value} logs: a value can neither break
 * the line nor forge another key, and cannot grow the line without bound.
 */
final class LogValues {
  static final int MAX_LENGTH = 128;

  private LogValues() {}

  /** {@code -} for null or empty; otherwise the value with anything but visible ASCII replaced. */
  static String safe(String value) {
    if (value == null || value.isEmpty()) {
      return "-";
    }
    String bounded = value.length() > MAX_LENGTH ? value.substring(0, MAX_LENGTH) : value;
    StringBuilder out = new StringBuilder(bounded.length());
    for (int i = 0; i < bounded.length(); i++) {
      char c = bounded.charAt(i);
      boolean visible = c > 0x20 && c < 0x7f && c != '=' && c != '"';
      out.append(visible ? c : '_');
    }
    if (value.length() > MAX_LENGTH) {
      out.append("...");
    }
    return out.toString();
  }
}

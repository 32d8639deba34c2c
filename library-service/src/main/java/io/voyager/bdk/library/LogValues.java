package io.voyager.bdk.library;

import java.util.regex.Pattern;

/**
 * Values for {@code key=value} log lines that may come from callers (a token's subject, an id in a
 * path): plain when they are simple, else double-quoted with quotes, backslashes and control
 * characters escaped, and cut short — so no value can forge another key or another line.
 */
final class LogValues {
  private LogValues() {}

  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9._:/@+,-]{1,200}");
  private static final int MAX = 200;

  /** {@code -} for null or empty. */
  static String of(String value) {
    if (value == null || value.isEmpty()) {
      return "-";
    }
    if (PLAIN.matcher(value).matches()) {
      return value;
    }
    String cut = value.length() > MAX ? value.substring(0, MAX) + "…" : value;
    StringBuilder b = new StringBuilder(cut.length() + 2).append('"');
    for (char c : cut.toCharArray()) {
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (Character.isISOControl(c)) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }
}

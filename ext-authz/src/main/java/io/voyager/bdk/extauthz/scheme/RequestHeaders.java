package io.voyager.bdk.extauthz.scheme;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The headers of a webhook request, looked up case-insensitively. A header may occur several
 * times (Envoy's {@code header_map}); when Envoy sends the merged {@code headers} map instead,
 * repeated headers arrive joined by commas, which {@link #singleToken} recognises for headers whose
 * values never contain a comma.
 */
public final class RequestHeaders {
  /** Every value of each (lower-cased) name; null when {@link #merged} or {@link #rawNames} holds the headers. */
  private final Map<String, List<String>> byName;
  /**
   * Envoy's merged {@code headers} map as the Check request holds it, used for lookups as it is
   * when its names are all lower case already (Envoy's are): no map is built per check.
   */
  private final Map<String, String> merged;
  /**
   * Envoy's raw {@code header_map} ({@code encode_raw_headers}) as the Check request holds it: the
   * lower-cased names, one per header line, and beside each its value's bytes, decoded only when a
   * scheme looks that header up (a webhook carries a dozen or so headers, a scheme reads three or four).
   */
  private final String[] rawNames;
  private final ByteString[] rawValues;

  private RequestHeaders(Map<String, List<String>> byName, Map<String, String> merged, String[] rawNames, ByteString[] rawValues) {
    this.byName = byName;
    this.merged = merged;
    this.rawNames = rawNames;
    this.rawValues = rawValues;
  }

  public static RequestHeaders of(Collection<Header> headers) {
    Map<String, List<String>> byName = new HashMap<>();
    for (Header h : headers) {
      byName.computeIfAbsent(h.name().toLowerCase(Locale.ROOT), k -> new ArrayList<>(1)).add(h.value());
    }
    return new RequestHeaders(byName, null, null, null);
  }

  /**
   * Envoy's raw header lines: {@code names[i]} with the value bytes {@code values[i]} (HTTP allows
   * any octet but controls in a value, so they stay bytes until looked up; a value a scheme reads
   * must be UTF-8). A name sent twice is two entries. The arrays are kept, not copied.
   */
  public static RequestHeaders ofRaw(String[] names, ByteString[] values) {
    if (names.length != values.length) {
      throw new IllegalArgumentException(names.length + " header names but " + values.length + " values");
    }
    for (int i = 0; i < names.length; i++) {
      if (!isLowerCase(names[i])) {
        names[i] = names[i].toLowerCase(Locale.ROOT);
      }
    }
    return new RequestHeaders(null, null, names, values);
  }

  /** Envoy's merged map (one value per name): looked up in place when its names are lower case, else copied as before. */
  public static RequestHeaders of(Map<String, String> headers) {
    if (allLowerCase(headers)) {
      return new RequestHeaders(null, headers, null, null);
    }
    List<Header> list = new ArrayList<>(headers.size());
    headers.forEach((k, v) -> list.add(new Header(k, v)));
    return of(list);
  }

  /** The header's only value, if present; more than one occurrence is a denial. */
  public Optional<String> single(String name) {
    if (merged != null) {
      String value = merged.get(lowerCase(name));
      return value == null ? Optional.empty() : Optional.of(value.trim());
    }
    if (rawNames != null) {
      return singleRaw(name);
    }
    List<String> values = byName.get(lowerCase(name));
    if (values == null || values.isEmpty()) {
      return Optional.empty();
    }
    if (values.size() > 1) {
      throw duplicate(name, values.size());
    }
    return Optional.of(values.get(0).trim());
  }

  private Optional<String> singleRaw(String name) {
    String key = lowerCase(name);
    int found = -1;
    int count = 0;
    for (int i = 0; i < rawNames.length; i++) {
      if (rawNames[i].equals(key)) {
        found = i;
        count++;
      }
    }
    if (count == 0) {
      return Optional.empty();
    }
    if (count > 1) {
      throw duplicate(name, count);
    }
    ByteString value = rawValues[found];
    if (!value.isValidUtf8()) {
      throw new WebhookDenied(DenyReason.MALFORMED_HEADER, "header " + name + " is not valid UTF-8");
    }
    return Optional.of(value.toStringUtf8().trim());
  }

  private static WebhookDenied duplicate(String name, int count) {
    return new WebhookDenied(DenyReason.DUPLICATE_HEADER, "header " + name + " occurs " + count + " times; exactly one is allowed");
  }

  /**
   * Like {@link #single} for a header whose value never contains a comma: a comma means the
   * header was sent more than once and merged.
   */
  public Optional<String> singleToken(String name) {
    Optional<String> value = single(name);
    if (value.isPresent() && value.get().indexOf(',') >= 0) {
      throw new WebhookDenied(DenyReason.DUPLICATE_HEADER, "header " + name + " holds several comma-separated values; exactly one is allowed");
    }
    return value;
  }

  /** The header's only value; absent is a denial with {@code missing}. */
  public String requireToken(String name, DenyReason missing) {
    return singleToken(name).filter(v -> !v.isEmpty())
        .orElseThrow(() -> new WebhookDenied(missing, "header " + name + " is missing"));
  }

  private static boolean allLowerCase(Map<String, String> headers) {
    for (String name : headers.keySet()) {
      if (!isLowerCase(name)) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code name} is ASCII without upper case (as Envoy sends header names): nothing to lower-case. */
  private static boolean isLowerCase(String name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (Character.toLowerCase(c) != c || c > 0x7f) {
        return false;
      }
    }
    return true;
  }

  /** The names schemes look up are a few constants (and the hmac scheme's configured one): lower-cased once each, bounded. */
  private static final int MAX_LOWER_NAMES = 1024;
  private static final ConcurrentHashMap<String, String> LOWER_NAMES = new ConcurrentHashMap<>();

  private static String lowerCase(String name) {
    String lower = LOWER_NAMES.get(name);
    if (lower == null) {
      lower = name.toLowerCase(Locale.ROOT);
      if (LOWER_NAMES.size() < MAX_LOWER_NAMES) {
        LOWER_NAMES.putIfAbsent(name, lower);
      }
    }
    return lower;
  }
}

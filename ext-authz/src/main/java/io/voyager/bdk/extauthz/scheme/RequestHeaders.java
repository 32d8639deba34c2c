package io.voyager.bdk.extauthz.scheme;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The headers of a webhook request, looked up case-insensitively. A header may occur several
 * times (Envoy's {@code header_map}); when Envoy sends the merged {@code headers} map instead,
 * repeated headers arrive joined by commas, which {@link #singleToken} recognises for headers whose
 * values never contain a comma.
 */
public final class RequestHeaders {
  private final Map<String, List<String>> byName;

  private RequestHeaders(Map<String, List<String>> byName) {
    this.byName = byName;
  }

  public static RequestHeaders of(Collection<Header> headers) {
    Map<String, List<String>> byName = new HashMap<>();
    for (Header h : headers) {
      byName.computeIfAbsent(h.name().toLowerCase(Locale.ROOT), k -> new ArrayList<>(1)).add(h.value());
    }
    return new RequestHeaders(byName);
  }

  public static RequestHeaders of(Map<String, String> headers) {
    List<Header> list = new ArrayList<>(headers.size());
    headers.forEach((k, v) -> list.add(new Header(k, v)));
    return of(list);
  }

  /** The header's only value, if present; more than one occurrence is a denial. */
  public Optional<String> single(String name) {
    List<String> values = byName.get(name.toLowerCase(Locale.ROOT));
    if (values == null || values.isEmpty()) {
      return Optional.empty();
    }
    if (values.size() > 1) {
      throw new WebhookDenied(DenyReason.DUPLICATE_HEADER, "header " + name + " occurs " + values.size() + " times; exactly one is allowed");
    }
    return Optional.of(values.get(0).trim());
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
}

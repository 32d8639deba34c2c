package io.voyager.bdk.library;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Opaque, stable page tokens: the sort key of the last item served, so a page continues after it
 * even when items were added or removed in between (no duplicates, no omissions of items that
 * existed throughout). {@code kind} tells lists apart, so a token from one list is refused by another.
 */
final class PageToken {
  private PageToken() {}

  private static final String SEPARATOR = "\u0000";
  static final String FIELD = "page_token";

  static String encode(String kind, List<String> key) {
    String plain = kind + SEPARATOR + String.join(SEPARATOR, key);
    plain = plain + SEPARATOR + checksum(plain);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
  }

  /** The key in {@code token}; INVALID_ARGUMENT naming page_token when it is not one of ours. */
  static List<String> decode(String kind, int arity, String token) {
    String plain;
    try {
      plain = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw malformed();
    }
    List<String> parts = List.of(plain.split(SEPARATOR, -1));
    if (parts.size() != arity + 2 || !parts.get(0).equals(kind)) {
      throw malformed();
    }
    List<String> signed = parts.subList(0, arity + 1);
    if (!checksum(String.join(SEPARATOR, signed)).equals(parts.get(arity + 1))) {
      throw malformed();
    }
    return signed.subList(1, signed.size());
  }

  /** Detects truncated or altered tokens (not a security measure: tokens carry no secrets). */
  private static String checksum(String plain) {
    CRC32 crc = new CRC32();
    crc.update(plain.getBytes(StandardCharsets.UTF_8));
    return Long.toHexString(crc.getValue());
  }

  private static ApiException malformed() {
    return ApiException.invalid(FIELD, "is not a page token returned by this list");
  }
}

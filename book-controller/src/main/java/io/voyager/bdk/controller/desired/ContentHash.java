package io.voyager.bdk.controller.desired;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.voyager.bdk.model.Digests;
import java.util.HexFormat;

/**
 * SHA-256 over a canonical JSON form (sorted properties and map keys), so equal content gives the
 * same digest in every JVM and replica — never {@code hashCode()}.
 */
public final class ContentHash {
  private ContentHash() {}

  private static final ObjectMapper CANONICAL =
      JsonMapper.builder()
          .configure(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY, true)
          .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
          .build();

  /** 32 hex characters (128 bits) of the digest. */
  public static String of(Object value) {
    try {
      byte[] json = CANONICAL.writeValueAsBytes(value);
      return HexFormat.of().formatHex(Digests.sha256(json), 0, 16);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot serialize " + value.getClass().getSimpleName() + " for hashing", e);
    }
  }

  /** Canonical JSON text (used for env values such as the custom settings). */
  public static String canonicalJson(Object value) {
    try {
      return CANONICAL.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot serialize " + value.getClass().getSimpleName(), e);
    }
  }
}

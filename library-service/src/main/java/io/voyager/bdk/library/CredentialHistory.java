package io.voyager.bdk.library;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.voyager.bdk.model.BookInstanceDefinition;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * What an instance records of its credential values, in two annotations the library alone writes
 * (annotations, not spec: the controller's pod-template digest covers the spec, and a record of a
 * rotation must not roll pods by itself):
 *
 * <ul>
 *   <li>{@value #REVISION}: how many updates wrote credential values — part of the {@link Etag}, so
 *       a rotation makes an etag read before it stale even though the spec may not change;
 *   <li>{@value #ROTATIONS}: JSON {@code {"<credential>": {"rotated_at": "…", "previous_valid_until":
 *       "…"}}} — reads report them (the values themselves are never read back for a read).
 * </ul>
 * A hand-edited, unreadable value counts as none.
 */
final class CredentialHistory {
  private CredentialHistory() {}

  static final String REVISION = "bdk.voyager.io/credentials-revision";
  static final String ROTATIONS = "bdk.voyager.io/credential-rotations";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One credential's last rotation: when, and until when its previous value verifies (empty: no overlap). */
  record Rotation(String rotatedAt, String previousValidUntil) {}

  static long revision(BookInstanceDefinition instance) {
    String value = annotation(instance, REVISION);
    if (value == null) {
      return 0;
    }
    try {
      return Math.max(0, Long.parseLong(value.strip()));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  static Map<String, Rotation> rotations(BookInstanceDefinition instance) {
    Map<String, Rotation> out = new TreeMap<>();
    String value = annotation(instance, ROTATIONS);
    if (value == null || value.isBlank()) {
      return out;
    }
    try {
      JsonNode root = JSON.readTree(value);
      if (root == null || !root.isObject()) {
        return out;
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        out.put(e.getKey(), new Rotation(e.getValue().path("rotated_at").asText(""),
            e.getValue().path("previous_valid_until").asText("")));
      }
    } catch (JsonProcessingException e) {
      return new TreeMap<>();
    }
    return out;
  }

  static String format(Map<String, Rotation> rotations) {
    ObjectNode root = JSON.createObjectNode();
    new TreeMap<>(rotations).forEach((name, r) -> {
      ObjectNode entry = root.putObject(name).put("rotated_at", r.rotatedAt());
      if (!r.previousValidUntil().isEmpty()) {
        entry.put("previous_valid_until", r.previousValidUntil());
      }
    });
    return root.toString();
  }

  private static String annotation(BookInstanceDefinition instance, String key) {
    Map<String, String> annotations = instance.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(key);
  }
}

package io.voyager.bdk.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The contract of a rotation without downtime, on the instance's credentials Secret itself, so it
 * survives restarts and any replica (or, later, the book-controller) can finish it.
 *
 * <p>A rotated webhook signing secret is stored as its new value's lines followed by the previous
 * value's lines (ext-authz verifies a webhook with any line). The Secret then carries, written in
 * the same update as the values:
 * <ul>
 *   <li>annotation {@value #PREVIOUS_VALUES}: JSON {@code {"<credential>": {"valid_until":
 *       "<RFC 3339>", "current_lines": n}}} — until when that credential's previous value verifies,
 *       and how many of its lines are the current value (the rest is the previous one);
 *   <li>label {@value #PENDING_LABEL}{@code =true} while any such entry exists, so a sweep lists only
 *       those Secrets.
 * </ul>
 * Whoever sweeps ({@link #sweep}) drops the lines after {@code current_lines} of every entry due
 * and the entry with them, and the label with the last entry — an update conditioned on the
 * Secret's resourceVersion, so concurrent sweepers (or a sweep and a new rotation) never lose a
 * write: the loser reads again. A new rotation of a credential keeps only the value that was current
 * as its previous value (the one before that is dropped at once), so a value never holds more than
 * two generations. Pure: no I/O.
 */
public final class CredentialRotations {
  private CredentialRotations() {}

  /** Label on a credentials Secret while it holds a previous value. */
  public static final String PENDING_LABEL = "bdk.voyager.io/previous-values-pending";
  public static final String PENDING = "true";
  /** Annotation on a credentials Secret: its previous values, when they expire and where they start. */
  public static final String PREVIOUS_VALUES = "bdk.voyager.io/previous-values";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A credential's previous value: verifying until {@code validUntil}; the value's first {@code currentLines} lines are the current one. */
  public record Previous(Instant validUntil, int currentLines) {
    public Previous {
      if (currentLines < 1) {
        throw new IllegalArgumentException("current_lines must be at least 1; got " + currentLines);
      }
      validUntil = validUntil.truncatedTo(ChronoUnit.SECONDS);
    }
  }

  /**
   * The Secret's values after a sweep, its remaining entries, the credentials whose previous value
   * was dropped ({@code stripped}) and those whose entry went (stripped, or holding no previous value
   * any more: {@code dropped}).
   */
  public record Swept(Map<String, String> values, Map<String, Previous> pending, List<String> stripped,
      List<String> dropped) {
    /** Whether the Secret must be written. */
    public boolean changed() {
      return !dropped.isEmpty();
    }
  }

  /**
   * The entries of an annotation value ({@code null} or empty: none).
   *
   * @throws IllegalArgumentException when it is not such JSON (a hand edit)
   */
  public static Map<String, Previous> parse(String annotation) {
    Map<String, Previous> entries = new TreeMap<>();
    if (annotation == null || annotation.isBlank()) {
      return entries;
    }
    JsonNode root;
    try {
      root = JSON.readTree(annotation);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("annotation " + PREVIOUS_VALUES + " is not JSON");
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("annotation " + PREVIOUS_VALUES + " is not a JSON object");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode until = e.getValue().get("valid_until");
      JsonNode lines = e.getValue().get("current_lines");
      if (until == null || !until.isTextual() || lines == null || !lines.canConvertToInt() || lines.asInt() < 1) {
        throw new IllegalArgumentException("annotation " + PREVIOUS_VALUES + ": entry '" + e.getKey()
            + "' needs valid_until (RFC 3339) and current_lines (at least 1)");
      }
      try {
        entries.put(e.getKey(), new Previous(Instant.parse(until.asText()), lines.asInt()));
      } catch (DateTimeParseException ex) {
        throw new IllegalArgumentException("annotation " + PREVIOUS_VALUES + ": entry '" + e.getKey()
            + "' has a valid_until that is not RFC 3339");
      }
    }
    return entries;
  }

  /** The annotation value for {@code entries} (keys sorted, so equal entries give equal text). */
  public static String format(Map<String, Previous> entries) {
    ObjectNode root = JSON.createObjectNode();
    new TreeMap<>(entries).forEach((name, p) -> root.putObject(name)
        .put("valid_until", p.validUntil().toString())
        .put("current_lines", p.currentLines()));
    return root.toString();
  }

  /** A value's lines (a trailing line break ends the last line; it does not start an empty one). */
  public static List<String> lines(String value) {
    if (value == null || value.isEmpty()) {
      return List.of();
    }
    return Arrays.asList(value.split("\r?\n"));
  }

  /** The current value of {@code stored}: without the previous value's lines when {@code entry} says there are some. */
  public static String current(String stored, Previous entry) {
    List<String> lines = lines(stored);
    if (entry == null || entry.currentLines() >= lines.size()) {
      return stored == null ? "" : stored;
    }
    return String.join("\n", lines.subList(0, entry.currentLines()));
  }

  /**
   * What to store when {@code newValue} replaces a credential whose stored value is {@code stored}
   * ({@code null}: none) with entry {@code entry} ({@code null}: none), keeping the value that was
   * current as the previous one: the new value's lines, then the current value's lines.
   */
  public static String withPrevious(String newValue, String stored, Previous entry) {
    String current = current(stored, entry);
    if (current.isEmpty()) {
      return newValue;
    }
    return String.join("\n", lines(newValue)) + "\n" + current;
  }

  /** The entry for a value written by {@link #withPrevious}: its new value's line count. */
  public static Previous previous(String newValue, Instant validUntil) {
    return new Previous(validUntil, Math.max(1, lines(newValue).size()));
  }

  /**
   * Drops every previous value due at {@code now} (valid until {@code now} or before) from {@code
   * values} (credential name → decoded value), and the entries of credentials that no longer exist
   * or hold nothing beyond their current value.
   */
  public static Swept sweep(Map<String, String> values, Map<String, Previous> pending, Instant now) {
    Map<String, String> out = new LinkedHashMap<>(values);
    Map<String, Previous> left = new TreeMap<>();
    List<String> stripped = new ArrayList<>();
    List<String> dropped = new ArrayList<>();
    for (Map.Entry<String, Previous> e : new TreeMap<>(pending).entrySet()) {
      String stored = values.get(e.getKey());
      boolean holdsPrevious = stored != null && lines(stored).size() > e.getValue().currentLines();
      if (!holdsPrevious) {
        dropped.add(e.getKey());
      } else if (!e.getValue().validUntil().isAfter(now)) {
        out.put(e.getKey(), current(stored, e.getValue()));
        stripped.add(e.getKey());
        dropped.add(e.getKey());
      } else {
        left.put(e.getKey(), e.getValue());
      }
    }
    return new Swept(out, left, List.copyOf(stripped), List.copyOf(dropped));
  }

  /** When the next entry of {@code pending} is due, or null when none is. */
  public static Instant nextDue(Map<String, Previous> pending) {
    return pending.values().stream().map(Previous::validUntil).min(Instant::compareTo).orElse(null);
  }
}

package io.voyager.bdk.library;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A version per semver.org 2.0.0, compared by precedence (numeric identifiers numerically,
 * pre-releases before the release, build metadata ignored).
 */
record SemanticVersion(String major, String minor, String patch, List<String> preRelease, String build)
    implements Comparable<SemanticVersion> {

  /** Longer versions are refused: they only serve to blow up names and logs. */
  static final int MAX_LENGTH = 128;

  // The regular expression semver.org suggests, with named groups.
  private static final Pattern SEMVER =
      Pattern.compile(
          "(?<major>0|[1-9]\\d*)\\.(?<minor>0|[1-9]\\d*)\\.(?<patch>0|[1-9]\\d*)"
              + "(?:-(?<pre>(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
              + "(?:\\+(?<build>[0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?");

  static Optional<SemanticVersion> parse(String text) {
    if (text == null || text.length() > MAX_LENGTH) {
      return Optional.empty();
    }
    Matcher m = SEMVER.matcher(text);
    if (!m.matches()) {
      return Optional.empty();
    }
    String pre = m.group("pre");
    return Optional.of(
        new SemanticVersion(
            m.group("major"),
            m.group("minor"),
            m.group("patch"),
            pre == null ? List.of() : List.of(pre.split("\\.")),
            m.group("build")));
  }

  /** Orders version strings by semver precedence; strings that are not semver sort after, by text. */
  static final Comparator<String> TEXT_ORDER =
      (a, b) -> {
        Optional<SemanticVersion> va = parse(a);
        Optional<SemanticVersion> vb = parse(b);
        if (va.isPresent() && vb.isPresent()) {
          int c = va.get().compareTo(vb.get());
          return c != 0 ? c : a.compareTo(b);
        }
        if (va.isPresent() != vb.isPresent()) {
          return va.isPresent() ? -1 : 1;
        }
        return a.compareTo(b);
      };

  @Override
  public int compareTo(SemanticVersion o) {
    int c = compareNumeric(major, o.major);
    if (c == 0) c = compareNumeric(minor, o.minor);
    if (c == 0) c = compareNumeric(patch, o.patch);
    if (c != 0) return c;
    if (preRelease.isEmpty() || o.preRelease.isEmpty()) {
      // A release has higher precedence than any of its pre-releases.
      return Boolean.compare(preRelease.isEmpty(), o.preRelease.isEmpty());
    }
    for (int i = 0; i < Math.min(preRelease.size(), o.preRelease.size()); i++) {
      c = compareIdentifier(preRelease.get(i), o.preRelease.get(i));
      if (c != 0) return c;
    }
    return Integer.compare(preRelease.size(), o.preRelease.size());
  }

  private static int compareIdentifier(String a, String b) {
    boolean na = isNumeric(a);
    boolean nb = isNumeric(b);
    if (na && nb) return compareNumeric(a, b);
    if (na != nb) return na ? -1 : 1; // numeric identifiers sort before alphanumeric ones
    return a.compareTo(b);
  }

  private static boolean isNumeric(String s) {
    return s.chars().allMatch(Character::isDigit);
  }

  /** Compares digit strings without leading zeros, of any length. */
  private static int compareNumeric(String a, String b) {
    return a.length() != b.length() ? Integer.compare(a.length(), b.length()) : a.compareTo(b);
  }
}

package io.voyager.bdk.relay;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When each delivery attempt happens: entry {@code i} is the wait before attempt {@code i + 1}, so
 * the first entry is normally {@code 0s} (immediately) and the number of entries is the number of
 * attempts. The default is Svix's: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (8
 * attempts over about 27.5 hours). Written as a flag: {@code 0s,5s,5m,30m,2h,5h,10h,10h}
 * (units ms, s, m, h).
 */
public record RetrySchedule(List<Duration> waits) {
  public static final String SVIX = "0s,5s,5m,30m,2h,5h,10h,10h";
  private static final Pattern ENTRY = Pattern.compile("([0-9]{1,9})(ms|s|m|h)");

  public RetrySchedule {
    if (waits.isEmpty()) {
      throw new IllegalArgumentException("a retry schedule needs at least one attempt");
    }
    if (waits.size() > 100) {
      throw new IllegalArgumentException("a retry schedule has at most 100 attempts; got " + waits.size());
    }
    waits = List.copyOf(waits);
  }

  public static RetrySchedule svix() {
    return parse(SVIX);
  }

  /** Parses {@code 0s,5s,5m}; the message names the bad entry. */
  public static RetrySchedule parse(String text) {
    List<Duration> waits = new ArrayList<>();
    for (String raw : text.split(",", -1)) {
      String entry = raw.trim();
      Matcher m = ENTRY.matcher(entry);
      if (!m.matches()) {
        throw new IllegalArgumentException("retry schedule entry '" + entry
            + "' is not a whole number followed by ms, s, m or h (e.g. " + SVIX + ")");
      }
      long n = Long.parseLong(m.group(1));
      waits.add(switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofHours(n);
      });
    }
    return new RetrySchedule(waits);
  }

  public int maxAttempts() {
    return waits.size();
  }

  /** The wait before attempt {@code attempt} (1-based); the last wait repeats past the end. */
  public Duration waitBefore(int attempt) {
    return waits.get(Math.min(Math.max(attempt, 1), waits.size()) - 1);
  }

  /** The longest wait: the cap for a book's Retry-After. */
  public Duration longest() {
    return waits.stream().max(Duration::compareTo).orElseThrow();
  }

  @Override
  public String toString() {
    return String.join(",", waits.stream().map(RetrySchedule::format).toList());
  }

  private static String format(Duration d) {
    if (d.toMillis() % 3_600_000 == 0 && !d.isZero()) {
      return d.toHours() + "h";
    }
    if (d.toMillis() % 60_000 == 0 && !d.isZero()) {
      return d.toMinutes() + "m";
    }
    if (d.toMillis() % 1000 == 0) {
      return d.toSeconds() + "s";
    }
    return d.toMillis() + "ms";
  }
}

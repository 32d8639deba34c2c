package io.voyager.bdk.model;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The one rule for status conditions, whoever writes them (the book-controller's instance and
 * Organization conditions, the xds-server's WebhooksRouted and Accepted, the local runtime's
 * Deployment conditions): a condition keeps its {@code last_transition} while its status holds,
 * messages are cut at one limit ({@value #MAX_MESSAGE} characters), and conditions are compared
 * without their times, so a steady state costs no write. Pure.
 */
public final class Conditions {
  private Conditions() {}

  /** Longest message written (the API's own limit for a condition message is 32768). */
  public static final int MAX_MESSAGE = 4096;

  /**
   * The condition {@code type} as it now is: {@code last_transition} stays what {@code previous}
   * shows while {@code status} is unchanged, else {@code now}; the message is {@link #truncated}.
   */
  public static Condition merge(
      List<Condition> previous, String type, String status, String reason, String message, Long generation, Instant now) {
    return new Condition(type, status, reason, truncated(message), since(previous, type, status, now.toString()), generation);
  }

  /**
   * When condition {@code type} last changed to {@code status}: what {@code previous} shows while
   * it has that status, else {@code otherwise}.
   */
  public static String since(List<Condition> previous, String type, String status, String otherwise) {
    if (previous != null) {
      for (Condition c : previous) {
        if (c != null && type.equals(c.type()) && Objects.equals(status, c.status()) && c.lastTransition() != null) {
          return c.lastTransition();
        }
      }
    }
    return otherwise;
  }

  /** The same rule for any condition shape: the previous transition time while the status holds, else {@code now}. */
  public static String since(String previousStatus, String previousTransition, String status, String now) {
    return previousTransition != null && Objects.equals(previousStatus, status) ? previousTransition : now;
  }

  /**
   * {@code conditions} with {@code want} in place of any condition of its type, keeping that one's
   * {@code last_transition} while the status holds and cutting the message; null when the
   * conditions already say the same (times aside), so the caller writes nothing.
   */
  public static List<Condition> replaced(List<Condition> conditions, Condition want) {
    List<Condition> current = conditions == null ? List.of() : conditions;
    Condition next = new Condition(want.type(), want.status(), want.reason(), truncated(want.message()),
        since(current, want.type(), want.status(), want.lastTransition()), want.observedGeneration());
    Condition existing = current.stream().filter(c -> c != null && want.type().equals(c.type())).findFirst().orElse(null);
    if (existing != null && withoutTime(existing).equals(withoutTime(next))) {
      return null;
    }
    List<Condition> result = new ArrayList<>();
    current.stream().filter(c -> c != null && !want.type().equals(c.type())).forEach(result::add);
    result.add(next);
    return result;
  }

  /** The conditions without their times, to compare what they say. */
  public static List<Condition> withoutTimes(List<Condition> conditions) {
    return (conditions == null ? List.<Condition>of() : conditions).stream().map(Conditions::withoutTime).toList();
  }

  private static Condition withoutTime(Condition c) {
    return new Condition(c.type(), c.status(), c.reason(), c.message(), null, c.observedGeneration());
  }

  /** {@code message} cut to {@link #MAX_MESSAGE} characters, ending in '…' when cut. */
  public static String truncated(String message) {
    return message == null || message.length() <= MAX_MESSAGE ? message : message.substring(0, MAX_MESSAGE - 1) + "…";
  }
}

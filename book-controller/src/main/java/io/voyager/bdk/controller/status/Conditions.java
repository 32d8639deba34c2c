package io.voyager.bdk.controller.status;

import io.voyager.bdk.model.Condition;
import java.time.Instant;
import java.util.List;

/**
 * The one rule for the conditions the controller writes (an instance's, an Organization's): a
 * condition keeps its {@code last_transition} while its status holds, and messages are cut at one
 * limit. Comparing statuses ignores those times, so a steady state costs no write. Pure.
 */
public final class Conditions {
  private Conditions() {}

  /** Longest message written (the API's own limit for a condition message is 32768). */
  static final int MAX_MESSAGE = 4096;

  /**
   * The condition {@code type} as it now is: {@code last_transition} stays what {@code previous}
   * shows while {@code status} is unchanged, else {@code now}.
   */
  static Condition merge(
      List<Condition> previous, String type, String status, String reason, String message, Long generation, Instant now) {
    String since = now.toString();
    if (previous != null) {
      for (Condition c : previous) {
        if (type.equals(c.type()) && status.equals(c.status()) && c.lastTransition() != null) {
          since = c.lastTransition();
        }
      }
    }
    return new Condition(type, status, reason, truncated(message), since, generation);
  }

  /** The conditions without their times, to compare what they say. */
  static List<Condition> withoutTimes(List<Condition> conditions) {
    return (conditions == null ? List.<Condition>of() : conditions).stream()
        .map(c -> new Condition(c.type(), c.status(), c.reason(), c.message(), null, c.observedGeneration()))
        .toList();
  }

  static String truncated(String message) {
    return message == null || message.length() <= MAX_MESSAGE ? message : message.substring(0, MAX_MESSAGE - 1) + "…";
  }
}

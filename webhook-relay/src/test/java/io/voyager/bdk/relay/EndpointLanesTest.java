package io.voyager.bdk.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class EndpointLanesTest {
  private final Instant t0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void anUnorderedEndpointTakesUpToItsShareAndOthersAreUnaffected() {
    EndpointLanes lanes = new EndpointLanes(2);
    assertThat(lanes.admit("a", 1, false, t0)).isEmpty();
    assertThat(lanes.admit("a", 2, false, t0)).isEmpty();
    assertThat(lanes.admit("a", 3, false, t0)).contains(EndpointLanes.BUSY_WAIT);
    assertThat(lanes.admit("b", 4, false, t0)).isEmpty();
    lanes.done("a", 1);
    assertThat(lanes.admit("a", 3, false, t0)).isEmpty();
  }

  @Test
  void anOrderedEndpointHasOneInFlightAndItsRetryingHeadKeepsTheLine() {
    EndpointLanes lanes = new EndpointLanes(4);
    assertThat(lanes.admit("o", 1, true, t0)).isEmpty();
    assertThat(lanes.admit("o", 2, true, t0)).contains(EndpointLanes.BUSY_WAIT);
    lanes.retrying("o", 1, true, t0.plusSeconds(5));
    assertThat(lanes.admit("o", 2, true, t0.plusSeconds(1)))
        .as("the head waits for its retry, the next waits behind it")
        .contains(Duration.ofSeconds(4).plus(EndpointLanes.BUSY_WAIT));
    assertThat(lanes.admit("o", 1, true, t0.plusSeconds(5))).as("the head comes back first").isEmpty();
    lanes.done("o", 1);
    assertThat(lanes.admit("o", 2, true, t0.plusSeconds(6))).isEmpty();
    assertThat(lanes.inFlight("o")).isEqualTo(1);
  }

  @Test
  void aLaterWebhookOfAnOrderedEndpointWaitsForAnEarlierOneThatWasPutBack() {
    EndpointLanes lanes = new EndpointLanes(1);
    assertThat(lanes.admit("o", 1, true, t0)).isEmpty();
    assertThat(lanes.admit("o", 2, true, t0)).isPresent();
    lanes.done("o", 1);
    assertThat(lanes.admit("o", 3, true, t0.plusMillis(100))).as("2 is waiting and goes first").isPresent();
    assertThat(lanes.admit("o", 2, true, t0.plusMillis(500))).isEmpty();
    lanes.done("o", 2);
    assertThat(lanes.admit("o", 3, true, t0.plusMillis(900))).isEmpty();
  }

  @Test
  void anOrderedWebhookMadeKnownFirstGoesFirstWhateverThreadAsksFirst() {
    EndpointLanes lanes = new EndpointLanes(1);
    lanes.expect("o", 1, t0.plusMillis(500));
    lanes.expect("o", 2, t0.plusMillis(500));
    assertThat(lanes.admit("o", 2, true, t0)).as("1 was handed over first").isPresent();
    assertThat(lanes.admit("o", 1, true, t0)).isEmpty();
    lanes.done("o", 1);
    assertThat(lanes.admit("o", 2, true, t0.plusMillis(600))).isEmpty();
    lanes.done("o", 2);
    lanes.expect("o", 3, t0);
    lanes.forget("o", 3);
    assertThat(lanes.admit("o", 4, true, t0)).as("a forgotten one holds nothing").isEmpty();
  }

  @Test
  void aHeadThatNeverComesBackStopsHoldingTheLine() {
    EndpointLanes lanes = new EndpointLanes(1);
    lanes.admit("o", 1, true, t0);
    lanes.retrying("o", 1, true, t0.plusSeconds(1));
    Instant later = t0.plusSeconds(1).plus(EndpointLanes.HEAD_GRACE).plusSeconds(1);
    assertThat(lanes.admit("o", 2, true, later)).isEmpty();
  }
}

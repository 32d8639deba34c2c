package io.voyager.bdk.xds.watch;

import static org.assertj.core.api.Assertions.assertThat;

import io.voyager.bdk.model.ExternalBookDefinitionSpec.Authentication;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.ExternalIntegration;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.SecretRef;
import io.voyager.bdk.model.RateLimit;
import io.voyager.bdk.xds.Fixtures;
import io.voyager.bdk.xds.model.BookSource;
import io.voyager.bdk.xds.model.EndpointSliceView;
import io.voyager.bdk.xds.model.GatewayInput;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.model.ServiceKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FirstEndpointsGateTest {
  private static final long SECOND = 1_000_000_000L;
  private final FirstEndpointsGate gate = new FirstEndpointsGate(Duration.ofSeconds(30));
  private final BookSource acme = Fixtures.book("customer-a", "acme", Fixtures.webhook("github", "github"));

  private static GatewayInput input(List<BookSource> books, EndpointSliceView... slices) {
    Map<ServiceKey, List<EndpointSliceView>> byService = new HashMap<>();
    for (EndpointSliceView slice : slices) {
      byService.computeIfAbsent(slice.service(), s -> new ArrayList<>()).add(slice);
    }
    return new GatewayInput(GatewaySettings.defaults(), books, byService);
  }

  @Test
  void aNewBookWaitsUntilItsServiceHasAReadyEndpointThenIsNeverHeldAgain() {
    gate.added(acme.key(), 0);
    Map<String, String> held = gate.holding(input(List.of(acme)), SECOND);
    assertThat(held).containsOnlyKeys("customer-a/acme");
    assertThat(FirstEndpointsGate.isWaitMessage(held.get("customer-a/acme"))).isTrue();
    assertThat(held.get("customer-a/acme")).contains("customer-a/acme:8080");

    // Not ready is not enough.
    assertThat(gate.holding(input(List.of(acme), Fixtures.slice("customer-a", "acme", "http", 9000, Fixtures.notReady("10.0.0.1"))),
        2 * SECOND)).containsOnlyKeys("customer-a/acme");

    assertThat(gate.holding(input(List.of(acme), Fixtures.slice("customer-a", "acme", "http", 9000, Fixtures.ready("10.0.0.1"))),
        3 * SECOND)).isEmpty();
    assertThat(gate.isEmpty()).isTrue();
    // Its endpoints going away later: still routed.
    assertThat(gate.holding(input(List.of(acme)), 4 * SECOND)).isEmpty();
  }

  @Test
  void aBookWithoutEndpointsIsLetThroughWhenItsGraceEndsAndTheNextExpiryIsKnown() {
    gate.added(acme.key(), 10 * SECOND);
    assertThat(gate.nextExpiry(15 * SECOND)).isEqualTo(Duration.ofSeconds(25));
    assertThat(gate.holding(input(List.of(acme)), 39 * SECOND)).containsOnlyKeys("customer-a/acme");
    assertThat(gate.holding(input(List.of(acme)), 40 * SECOND)).isEmpty();
    assertThat(gate.nextExpiry(40 * SECOND)).isNull();
  }

  @Test
  void aDeletedBookIsForgotten() {
    gate.added(acme.key(), 0);
    assertThat(gate.holding(input(List.of()), SECOND)).isEmpty();
    assertThat(gate.isEmpty()).isTrue();
  }

  @Test
  void booksRoutedToTheRelayOrRejectedAreNeverHeld() {
    ExternalIntegration queued = new ExternalIntegration("github", "webhook", null,
        new Authentication("signature", "github", new SecretRef("queued-credentials", "github"), null, null),
        new RateLimit(10.0, 20), null, "queued", null);
    BookSource relayed = Fixtures.book("customer-a", "queued", queued);
    BookSource rejected = Fixtures.book("customer-a", "Bad_Name", Fixtures.webhook("github", "nope"));
    gate.added(relayed.key(), 0);
    gate.added(rejected.key(), 0);
    assertThat(gate.holding(input(List.of(relayed, rejected)), SECOND)).isEmpty();
  }

  @Test
  void aZeroGraceHoldsNothing() {
    FirstEndpointsGate off = new FirstEndpointsGate(Duration.ZERO);
    off.added(acme.key(), 0);
    assertThat(off.holding(input(List.of(acme)), 0)).isEmpty();
    assertThat(off.isEmpty()).isTrue();
  }
}

package io.voyager.bdk.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.voyager.bdk.model.BookInstanceDefinitionSpec.Resources;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class BookPodDefaultsTest {
  private static final BigDecimal MI = BigDecimal.valueOf(1024L * 1024);

  @Test
  void anInstanceWithoutResourcesCountsTheDefaults() {
    var requests = BookPodDefaults.perReplica(null, false);
    assertThat(requests.cpu()).isEqualByComparingTo("0.1");
    assertThat(requests.memory()).isEqualByComparingTo(MI.multiply(BigDecimal.valueOf(256)));
  }

  @Test
  void givenRequestsCountAsGiven_aMissingRequestIsItsLimit_andTailscaleAddsADefaultContainer() {
    var requests = BookPodDefaults.perReplica(new Resources("500m", null, null, "1Gi"), true);
    assertThat(requests.cpu()).isEqualByComparingTo("0.6");
    assertThat(requests.memory()).isEqualByComparingTo(MI.multiply(BigDecimal.valueOf(1024 + 256)));
    assertThat(requests.times(3).cpu()).isEqualByComparingTo("1.8");
  }

  @Test
  void quantitiesFollowTheApiServersGrammar() {
    assertThat(Quantities.problem("500m")).isEmpty();
    assertThat(Quantities.problem("1.5Gi")).isEmpty();
    assertThat(Quantities.problem("1e3")).isEmpty();
    assertThat(Quantities.problem("lots")).contains("'lots' is not a Kubernetes quantity (e.g. 500m, 1Gi)");
    assertThat(Quantities.problem("-1")).contains("'-1' must not be negative");
    assertThat(Quantities.sameAmount("0.5", "500m")).isTrue();
    assertThat(Quantities.sameAmount("1Gi", "1024Mi")).isTrue();
    assertThat(Quantities.sameAmount("1G", "1Gi")).isFalse();
    assertThatThrownBy(() -> Quantities.parse("8 cores")).isInstanceOf(IllegalArgumentException.class);
  }
}

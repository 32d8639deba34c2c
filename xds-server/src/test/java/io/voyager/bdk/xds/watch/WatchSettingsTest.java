package io.voyager.bdk.xds.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.voyager.bdk.xds.translate.XdsResources;
import java.time.Duration;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class WatchSettingsTest {
  @Test
  void eachWithChangesOneSettingAndKeepsTheOthers() {
    UnaryOperator<XdsResources> filter = r -> r;
    WatchSettings changed = WatchSettings.defaults()
        .withDebounce(Duration.ofMillis(20), Duration.ofMillis(200))
        .withFirstEndpointsGrace(Duration.ZERO)
        .withOutputFilter(filter)
        .withFirstSnapshotWait(Duration.ofSeconds(5));
    assertThat(changed).isEqualTo(new WatchSettings(Duration.ofMillis(20), Duration.ofMillis(200), Duration.ZERO, filter,
        Duration.ofSeconds(5)));
    assertThat(WatchSettings.defaults().withFirstEndpointsGrace(Duration.ofMillis(300)))
        .isEqualTo(new WatchSettings(WatchSettings.DEFAULT_DEBOUNCE_QUIET, WatchSettings.DEFAULT_DEBOUNCE_MAX,
            Duration.ofMillis(300), WatchSettings.defaults().outputFilter(), WatchSettings.DEFAULT_FIRST_SNAPSHOT_WAIT));
  }

  @Test
  void aNegativeGraceOrAQuietPeriodLongerThanTheLongestDelayIsRefusedNamingIt() {
    assertThatThrownBy(() -> WatchSettings.defaults().withFirstEndpointsGrace(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("firstEndpointsGrace: must be at least 0");
    assertThatThrownBy(() -> WatchSettings.defaults().withDebounce(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("debounce: need 0 <= quiet <= max");
    assertThatThrownBy(() -> WatchSettings.defaults().withFirstSnapshotWait(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("firstSnapshotWait: must be at least 0");
    assertThatThrownBy(() -> WatchSettings.defaults().withOutputFilter(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("outputFilter");
  }
}

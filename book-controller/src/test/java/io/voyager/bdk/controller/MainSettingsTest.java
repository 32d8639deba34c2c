package io.voyager.bdk.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.voyager.bdk.controller.desired.ControllerSettings;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The controller's flags for books' lives, as settings; a bad value is refused naming its flag. Pure. */
class MainSettingsTest {
  static ControllerSettings settings(String... args) {
    Main main = new Main();
    new CommandLine(main).parseArgs(args);
    return main.settings();
  }

  @Test
  void defaults_sleepAfterFifteenMinutesNoRunManagerNoKernelMode() {
    ControllerSettings s = settings();
    assertThat(s.sleepAfter()).isEqualTo(Duration.ofMinutes(15));
    assertThat(s.runManagerEndpoint()).isNull();
    assertThat(s.tailscaleKernelAllowed()).isFalse();
  }

  @Test
  void flagsBecomeSettings() {
    ControllerSettings s = settings("--sleep-after", "PT0S", "--run-manager-endpoint", "http://run-manager.jeeves.svc:8080",
        "--tailscale-allow-kernel-mode=true", "--tailscale-mode", "kernel");
    assertThat(s.sleepEnabled()).isFalse();
    assertThat(s.runManagerEndpoint()).isEqualTo("http://run-manager.jeeves.svc:8080");
    assertThat(s.tailscaleMode()).isEqualTo("kernel");
  }

  @Test
  void badValuesAreRefusedNamingTheFlag() {
    assertThatThrownBy(() -> settings("--sleep-after", "15m")).hasMessageContaining("--sleep-after must be an ISO-8601 duration");
    assertThatThrownBy(() -> settings("--sleep-after", "-PT1M")).hasMessageContaining("--sleep-after must not be negative");
    assertThatThrownBy(() -> settings("--run-manager-endpoint", "run-manager:8080"))
        .hasMessageContaining("--run-manager-endpoint must be an http or https URL");
    assertThatThrownBy(() -> settings("--tailscale-mode", "kernel"))
        .hasMessageContaining("--tailscale-mode kernel runs sidecars as root with NET_ADMIN: allow it with --tailscale-allow-kernel-mode");
  }
}

package io.voyager.bdk.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubeconfigTest {
  @Test
  void fabric8ReadsTheWrittenKubeconfig(@TempDir Path dir) throws Exception {
    Path file = Kubeconfig.write(dir.resolve("sub/kubeconfig"), "http://127.0.0.1:16443", "bdk");

    Config config = Config.fromKubeconfig(null, Files.readString(file), file.toString());

    assertThat(config.getMasterUrl()).startsWith("http://127.0.0.1:16443");
    assertThat(config.getNamespace()).isEqualTo("bdk");
    assertThat(config.getCurrentContext().getName()).isEqualTo(Kubeconfig.CONTEXT);
  }

  @Test
  void refusesSomethingThatIsNotAnUrl() {
    assertThatThrownBy(() -> Kubeconfig.render("127.0.0.1:16443", "bdk"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("serverUrl");
  }
}

package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnvoyBinaryTest {
  @TempDir Path root;

  @Test
  void explicitEnvoyBinWins() throws Exception {
    Path explicit = executable(root.resolve("custom/envoy"));
    executable(root.resolve("bin/envoy"));

    assertThat(EnvoyBinary.locate(Map.of("ENVOY_BIN", explicit.toString(), "PATH", root.resolve("bin").toString()), root))
        .contains(explicit);
  }

  @Test
  void explicitEnvoyBinThatIsNotExecutableIsAnError() {
    assertThatThrownBy(() -> EnvoyBinary.locate(Map.of("ENVOY_BIN", root.resolve("nope").toString()), root))
        .hasMessageContaining("ENVOY_BIN");
  }

  @Test
  void pathBeforeVirtualenvAndRealBinaryBeforePythonLauncher() throws Exception {
    Path onPath = executable(root.resolve("bin/envoy"));
    Path real = executable(root.resolve(".venv/lib/python3.11/site-packages/envoy/_bin/envoy"));
    executable(root.resolve(".venv/bin/envoy"));

    assertThat(EnvoyBinary.locate(Map.of("PATH", root.resolve("bin").toString()), root)).contains(onPath);
    assertThat(EnvoyBinary.locate(Map.of("PATH", root.resolve("elsewhere").toString()), root)).contains(real);
  }

  @Test
  void nothingFoundIsEmpty() {
    assertThat(EnvoyBinary.locate(Map.of("PATH", ""), root)).isEmpty();
  }

  private static Path executable(Path file) throws Exception {
    Files.createDirectories(file.getParent());
    Files.writeString(file, "#!/bin/sh\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }
}

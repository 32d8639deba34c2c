package io.voyager.bdk.controller.desired;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ImageResolverTest {
  @Test
  void versionSpecificImageWinsOverLanguage() {
    var images = new ImageResolver(Map.of("python", "voyager/py:latest", "python:3.12", "voyager/py:3.12"), null);
    assertThat(images.imageFor("python", "3.12")).contains("voyager/py:3.12");
    assertThat(images.imageFor("Python", "3.11")).contains("voyager/py:latest");
    assertThat(images.imageFor("ruby", null)).isEmpty();
  }

  @Test
  void registryOverrideReplacesAnExplicitRegistryOrPrefixesAnImplicitOne() {
    var images = new ImageResolver(Map.of(), "mirror.local:5000/");
    assertThat(images.withRegistry("voyager/book:1")).isEqualTo("mirror.local:5000/voyager/book:1");
    assertThat(images.withRegistry("ghcr.io/tailscale/tailscale:v1")).isEqualTo("mirror.local:5000/tailscale/tailscale:v1");
    assertThat(images.withRegistry("busybox")).isEqualTo("mirror.local:5000/busybox");
  }

  @Test
  void malformedFlagIsRejectedNamingIt() {
    assertThatThrownBy(() -> ImageResolver.parseRuntimeImages(List.of("python")))
        .hasMessageContaining("--runtime-image").hasMessageContaining("'python'");
  }
}

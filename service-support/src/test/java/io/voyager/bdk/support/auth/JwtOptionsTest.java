package io.voyager.bdk.support.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.voyager.bdk.support.auth.JwtSettings.KubernetesJwks;
import io.voyager.bdk.support.auth.JwtSettings.RemoteJwks;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class JwtOptionsTest {

  private static JwtSettings parse(String... args) {
    JwtOptions options = new JwtOptions();
    new CommandLine(options).parseArgs(args);
    return options.settings();
  }

  @Test
  void remoteJwks() {
    JwtSettings settings =
        parse("--jwt-issuer", "https://id.example.com/", "--jwt-audience", "bdk,bdk-cli",
            "--jwks-uri", "https://id.example.com/jwks", "--jwt-clock-skew", "PT30S");
    assertThat(settings.issuer()).isEqualTo("https://id.example.com/");
    assertThat(settings.audiences()).containsExactly("bdk", "bdk-cli");
    assertThat(settings.jwks()).isEqualTo(new RemoteJwks(URI.create("https://id.example.com/jwks"), Duration.ofMinutes(5)));
    assertThat(settings.clockSkew()).isEqualTo(Duration.ofSeconds(30));
    assertThat(settings.organizationClaim()).isEqualTo("org");
    assertThat(settings.rolesClaim()).isEqualTo("roles");
  }

  @Test
  void kubernetesJwksWithAndWithoutKey() {
    assertThat(parse("--jwt-issuer", "i", "--jwt-audience", "a", "--jwks-configmap", "bdk/bdk-jwks").jwks())
        .isEqualTo(new KubernetesJwks(KubernetesJwks.Kind.CONFIG_MAP, "bdk", "bdk-jwks", "jwks.json"));
    assertThat(parse("--jwt-issuer", "i", "--jwt-audience", "a", "--jwks-secret", "bdk/keys:public.json").jwks())
        .isEqualTo(new KubernetesJwks(KubernetesJwks.Kind.SECRET, "bdk", "keys", "public.json"));
  }

  @Test
  void errorsNameTheFlag() {
    assertThatThrownBy(() -> parse("--jwt-audience", "a", "--jwks-uri", "https://x/jwks"))
        .hasMessageStartingWith("jwt-issuer:");
    assertThatThrownBy(() -> parse("--jwt-issuer", "i", "--jwks-uri", "https://x/jwks"))
        .hasMessageStartingWith("jwt-audience:");
    assertThatThrownBy(() -> parse("--jwt-issuer", "i", "--jwt-audience", "a"))
        .hasMessageContaining("exactly one JWKS source");
    assertThatThrownBy(() -> parse("--jwt-issuer", "i", "--jwt-audience", "a", "--jwks-uri", "https://x/j", "--jwks-secret", "a/b"))
        .hasMessageContaining("exactly one JWKS source is required, got 2");
    assertThatThrownBy(() -> parse("--jwt-issuer", "i", "--jwt-audience", "a", "--jwks-uri", "file:///etc/jwks"))
        .hasMessageStartingWith("jwks-uri:");
    assertThatThrownBy(() -> parse("--jwt-issuer", "i", "--jwt-audience", "a", "--jwks-secret", "noslash"))
        .hasMessageStartingWith("jwks-secret:");
    assertThatThrownBy(() -> parse("--jwt-issuer", "i", "--jwt-audience", "a", "--jwks-configmap", "bdk/x:"))
        .hasMessageStartingWith("jwks-configmap:");
    assertThatThrownBy(() -> parse("--jwt-issuer", "i", "--jwt-audience", "a", "--jwks-uri", "https://x/j", "--jwt-clock-skew", "PT1H"))
        .hasMessageStartingWith("jwt-clock-skew:");
  }

  @Test
  void settingsAreImmutable() {
    JwtSettings settings = new JwtSettings("i", new ArrayList<>(List.of("a")),
        new RemoteJwks(URI.create("http://localhost:1/jwks"), Duration.ofMinutes(1)));
    assertThatThrownBy(() -> settings.audiences().add("b")).isInstanceOf(UnsupportedOperationException.class);
  }
}

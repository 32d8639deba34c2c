package io.voyager.bdk.xds.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class FixedEndpointTest {
  @ParameterizedTest
  @CsvSource({"127.0.0.1:50051,127.0.0.1,50051", "10.2.3.4:1,10.2.3.4,1", "[::1]:65535,::1,65535", "[fd00::2]:80,fd00::2,80"})
  void parsesAnIpLiteralAndAPort(String value, String host, int port) {
    FixedEndpoint endpoint = FixedEndpoint.parse(value);
    assertThat(endpoint).isEqualTo(new FixedEndpoint(host, port));
    assertThat(endpoint.toString()).isEqualTo(value);
  }

  @ParameterizedTest
  @ValueSource(strings = {"localhost:50051", "book-library.bdk.svc:50051", "999.1.1.1:80"})
  void refusesAHostThatIsNoIpLiteral(String value) {
    assertThatThrownBy(() -> FixedEndpoint.parse(value)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not an IP literal");
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:http", "127.0.0.1:9999999999"})
  void refusesAPortOutOfRange(String value) {
    assertThatThrownBy(() -> FixedEndpoint.parse(value)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not a port number (1-65535)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "127.0.0.1", "127.0.0.1:", ":50051", "::1:50051"})
  void refusesAValueThatIsNoHostPort(String value) {
    assertThatThrownBy(() -> FixedEndpoint.parse(value)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected HOST:PORT");
  }
}

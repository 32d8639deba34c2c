package io.voyager.bdk.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.voyager.bdk.xds.model.FixedEndpoint;
import io.voyager.bdk.xds.translate.BookClusters;
import io.voyager.bdk.xds.translate.RouteLayout;
import io.voyager.bdk.xds.watch.WatchSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainFlagsTest {
  @Test
  void fixedEndpointsAreOptionalAndDefaultToEndpointSlices() {
    Main main = new Main();
    new CommandLine(main).parseArgs();
    assertThat(main.libraryEndpoint).isNull();
    assertThat(main.extAuthzEndpoint).isNull();
  }

  @Test
  void theWatcherFlagsDefaultToTheWatchSettingsDefaults() {
    Main main = new Main();
    new CommandLine(main).parseArgs();
    assertThat(new WatchSettings(java.time.Duration.ofMillis(main.debounceMs),
        java.time.Duration.ofMillis(main.debounceMaxMs), java.time.Duration.ofMillis(main.firstEndpointsGraceMs),
        WatchSettings.defaults().outputFilter(), WatchSettings.DEFAULT_FIRST_SNAPSHOT_WAIT))
        .isEqualTo(WatchSettings.defaults());
  }

  @Test
  void bookClustersDefaultToOnDemandAndRouteLayoutToScopedAndEachTakesItsOtherValue() {
    Main defaults = new Main();
    new CommandLine(defaults).parseArgs();
    assertThat(defaults.bookClusters).isEqualTo(BookClusters.ON_DEMAND);
    assertThat(defaults.routeLayout).isEqualTo(RouteLayout.SCOPED);
    assertThat(defaults.heldBooksLimit).as("each Envoy holds at most 2,000 books loaded on demand by default").isEqualTo(2000);
    Main set = new Main();
    new CommandLine(set).parseArgs("--book-clusters", "eager", "--route-layout", "single", "--held-books-limit", "0");
    assertThat(set.bookClusters).isEqualTo(BookClusters.EAGER);
    assertThat(set.routeLayout).isEqualTo(RouteLayout.SINGLE);
    assertThat(set.heldBooksLimit).as("0 turns the bound off").isZero();
  }

  /** One converter serves both enum flags: a bad value names the flag, the value and what is accepted. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "--book-clusters | lazy    | 'lazy' is not one of eager, on-demand",
      "--route-layout  | sharded | 'sharded' is not one of single, scoped"})
  void aBadEnumValueIsRefusedNamingTheFlagAndTheAcceptedValues(String flag, String value, String why) {
    assertThatThrownBy(() -> new CommandLine(new Main()).parseArgs(flag, value))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("Invalid value for option '" + flag + "'")
        .hasMessageContaining(why);
  }

  @Test
  void fixedEndpointsAreParsed() {
    Main main = new Main();
    new CommandLine(main).parseArgs("--library-endpoint", "127.0.0.1:50051", "--ext-authz-endpoint", "[::1]:18010");
    assertThat(main.libraryEndpoint).isEqualTo(new FixedEndpoint("127.0.0.1", 50051));
    assertThat(main.extAuthzEndpoint).isEqualTo(new FixedEndpoint("::1", 18010));
  }

  @ParameterizedTest
  @CsvSource({
      "--library-endpoint,book-library.bdk.svc:50051,is not an IP literal",
      "--library-endpoint,127.0.0.1:0,is not a port number (1-65535)",
      "--ext-authz-endpoint,127.0.0.1:65536,is not a port number (1-65535)",
      "--ext-authz-endpoint,127.0.0.1,expected HOST:PORT"})
  void aBadEndpointIsRefusedBeforeAnythingStartsNamingTheFlag(String flag, String value, String why) {
    assertThatThrownBy(() -> Main.start(flag, value))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("'" + flag + "'")
        .hasMessageContaining(why);
  }

  @Test
  void helpDocumentsTheFixedEndpointFlags() {
    StringWriter out = new StringWriter();
    new CommandLine(new Main()).usage(new PrintWriter(out));
    assertThat(out.toString()).contains("--library-endpoint=HOST:PORT", "--ext-authz-endpoint=HOST:PORT", "EndpointSlices");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "--jwt-audience bdk --jwks-configmap bdk/bdk-jwks | jwt-issuer: is required",
      "--jwt-issuer bdk-local --jwks-configmap bdk/bdk-jwks | jwt-audience: at least one non-empty audience is required",
      "--jwt-issuer bdk-local --jwt-audience bdk | exactly one JWKS source is required, got 0",
      "--jwt-issuer i --jwt-audience a --jwks-configmap bdk/x --jwks-uri https://id.example.com/jwks | exactly one JWKS source is required, got 2",
      "--jwt-issuer i --jwt-audience a --jwks-uri ftp://id.example.com/jwks | jwks-uri: must be an http(s) URL",
      "--jwt-issuer i --jwt-audience a --jwks-secret nothing | jwks-secret: must be NAMESPACE/NAME[:KEY]"})
  void jwtSettingsAreRequiredAndABadOneIsRefusedBeforeAnythingStartsNamingTheFlag(String args, String why) {
    assertThatThrownBy(() -> Main.start(args.trim().split(" ")))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining(why);
  }

  @Test
  void helpDocumentsTheJwtFlags() {
    StringWriter out = new StringWriter();
    new CommandLine(new Main()).usage(new PrintWriter(out));
    assertThat(out.toString()).contains("--jwt-issuer", "--jwt-audience", "--jwks-uri", "--jwks-secret", "--jwks-configmap",
        "--jwks-cache-duration", "--jwt-clock-skew", "--jwks-ca-file");
  }

  static final String JWT = "--jwt-issuer i --jwt-audience a --jwks-configmap bdk/bdk-jwks ";

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      " | --tls-cert-file: required",
      "--plaintext --plain-http sometimes | plain-http: must be serve or redirect",
      "--plaintext --edge-tls-secret bdk-edge-tls | edge-tls-secret: must be NAMESPACE/NAME",
      "--plaintext --edge-tls-secret none --plain-http redirect | plain-http: redirect needs an HTTPS listener",
      "--plaintext --upstream-tls maybe | upstream-tls: must be mtls or off",
      "--plaintext --envoy-sds-dir etc/sds | envoy-sds-dir: must be an absolute path",
      "--plaintext --xff-num-trusted-hops 11 | xff-num-trusted-hops: must be from 0 to 10",
      "--plaintext --request-headers-timeout 10s | not an ISO-8601 duration",
      "--plaintext --http2-initial-stream-window-bytes 100 | http2-initial-stream-window-bytes: must be at least 65535",
      "--plaintext --webhook-client-rate 0 | webhook-client-rate: must be at least 1",
      "--plaintext --first-endpoints-grace-ms -1 | first-endpoints-grace-ms: must be at least 0",
      "--plaintext --held-books-limit -1 | held-books-limit: must be 0 (off) or more",
      "--plaintext --https-listener-port 8080 | https-listener-port: 8080 is also --listener-port"})
  void edgeAndTlsFlagsAreCheckedBeforeAnythingStartsNamingTheFlag(String args, String why) {
    assertThatThrownBy(() -> Main.start((JWT + (args == null ? "" : args)).trim().split(" ")))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining(why);
  }
}

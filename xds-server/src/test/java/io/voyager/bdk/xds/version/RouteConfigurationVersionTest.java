package io.voyager.bdk.xds.version;

import static io.voyager.bdk.xds.Fixtures.book;
import static io.voyager.bdk.xds.Fixtures.webhook;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.ExternalIntegration;
import io.voyager.bdk.model.RateLimit;
import io.voyager.bdk.xds.model.BookSource;
import io.voyager.bdk.xds.model.GatewayInput;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.translate.GatewayTranslator;
import io.voyager.bdk.xds.translate.IncrementalTranslator;
import io.voyager.bdk.xds.translate.XdsResources;
import io.voyager.bdk.xds.translate.XdsTranslator;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The route configuration's version is computed from its parts (non-route fields and ordered route
 * digests remembered by identity) instead of its whole serialization: it must still change iff
 * the content changes, and not depend on which objects carry that content.
 */
class RouteConfigurationVersionTest {
  static final GatewaySettings SETTINGS = GatewaySettings.defaults();
  static final XdsTranslator XDS = new XdsTranslator(SETTINGS.transcoder());

  static List<BookSource> books(int count) {
    List<BookSource> books = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      books.add(book("customer-" + i, "b", webhook("github", "github"), webhook("slack", "slack")));
    }
    return books;
  }

  static GatewayInput input(List<BookSource> books) {
    return new GatewayInput(SETTINGS, books, Map.of());
  }

  static RouteConfiguration routes(IncrementalTranslator translator, List<BookSource> books) {
    return translator.translate(input(books)).resources().routes().get(0);
  }

  static String version(RouteConfiguration config) {
    return ContentVersions.ofResource(config);
  }

  /** A copy sharing no message object with {@code config}: parsed back from its bytes. */
  static RouteConfiguration rebuilt(RouteConfiguration config) throws Exception {
    return RouteConfiguration.parseFrom(config.toByteArray());
  }

  static RouteConfiguration withRoute(RouteConfiguration config, int index, Route route) {
    RouteConfiguration.Builder b = config.toBuilder();
    b.getVirtualHostsBuilder(0).setRoutes(index, route);
    return b.build();
  }

  final RouteConfiguration config = routes(new IncrementalTranslator(XDS), books(5));

  @Test
  void equalContentBuiltTwiceHasTheSameVersion() throws Exception {
    RouteConfiguration copy = rebuilt(config);
    assertThat(copy).isEqualTo(config);
    assertThat(copy.getVirtualHosts(0).getRoutes(0)).isNotSameAs(config.getVirtualHosts(0).getRoutes(0));
    assertThat(version(copy)).isEqualTo(version(config)).matches("[0-9a-f]{16}");
    assertThat(ContentVersionedSnapshot.of(new GatewayTranslator(XDS).translate(input(books(5))).resources()).routes().version())
        .isEqualTo(ContentVersionedSnapshot.of(
            new XdsResources(List.of(), List.of(copy), List.of(), List.of())).routes().version());
  }

  @Test
  void changingOneRouteChangesTheVersion() throws Exception {
    Route first = config.getVirtualHosts(0).getRoutes(0);
    RouteConfiguration changed = withRoute(config, 0, first.toBuilder().setName(first.getName() + "-x").build());
    assertThat(version(changed)).isNotEqualTo(version(config));
    // and changing it back gives the original version again, whatever objects carry it
    assertThat(version(withRoute(changed, 0, rebuilt(config).getVirtualHosts(0).getRoutes(0)))).isEqualTo(version(config));
  }

  @Test
  void routeOrderIsPartOfTheVersion() {
    List<Route> swapped = new ArrayList<>(config.getVirtualHosts(0).getRoutesList());
    Collections.swap(swapped, 0, 1);
    RouteConfiguration.Builder b = config.toBuilder();
    b.getVirtualHostsBuilder(0).clearRoutes().addAllRoutes(swapped);
    assertThat(version(b.build())).isNotEqualTo(version(config));
  }

  @Test
  void nonRouteFieldsOfTheConfigurationAndItsVirtualHostsArePartOfTheVersion() {
    assertThat(version(config.toBuilder().setName("other").build())).isNotEqualTo(version(config));
    assertThat(version(config.toBuilder().setValidateClusters(com.google.protobuf.BoolValue.of(true)).build()))
        .isNotEqualTo(version(config));
    RouteConfiguration.Builder b = config.toBuilder();
    b.getVirtualHostsBuilder(0).addDomains("example.com");
    assertThat(version(b.build())).isNotEqualTo(version(config));
  }

  @Test
  void movingARouteToAnotherVirtualHostChangesTheVersion() {
    VirtualHost host = config.getVirtualHosts(0);
    int last = host.getRoutesCount() - 1;
    VirtualHost a = host.toBuilder().setName("a").build();
    VirtualHost b = host.toBuilder().setName("b").clearRoutes().build();
    VirtualHost aShort = a.toBuilder().removeRoutes(last).build();
    VirtualHost bLong = b.toBuilder().addRoutes(host.getRoutes(last)).build();
    RouteConfiguration before = config.toBuilder().clearVirtualHosts().addVirtualHosts(a).addVirtualHosts(b).build();
    RouteConfiguration after = config.toBuilder().clearVirtualHosts().addVirtualHosts(aShort).addVirtualHosts(bLong).build();
    assertThat(version(after)).isNotEqualTo(version(before));
  }

  @Test
  void sameInputInAnotherOrderOrAnotherTranslatorHasTheSameVersion() {
    List<BookSource> books = books(5);
    String version = version(config);
    Collections.reverse(books);
    assertThat(version(routes(new IncrementalTranslator(XDS), books))).isEqualTo(version);
    assertThat(version(new GatewayTranslator(XDS).translate(input(books)).resources().routes().get(0))).isEqualTo(version);
  }

  @Test
  void anIncrementalOneBookChangeVersionsLikeAFreshTranslationOfTheSameInput() {
    IncrementalTranslator incremental = new IncrementalTranslator(XDS);
    List<BookSource> books = books(5);
    String original = version(routes(incremental, books));

    ExternalIntegration github = webhook("github", "github");
    books.set(2, book("customer-2", "b",
        new ExternalIntegration(github.name(), github.type(), github.endpoint(), github.authentication(), new RateLimit(99.0, 20)),
        webhook("slack", "slack")));
    String changed = version(routes(incremental, books));
    assertThat(changed).isNotEqualTo(original)
        .isEqualTo(version(routes(new IncrementalTranslator(XDS), books)));

    books.set(2, book("customer-2", "b", webhook("github", "github"), webhook("slack", "slack")));
    assertThat(version(routes(incremental, books))).isEqualTo(original);
  }
}

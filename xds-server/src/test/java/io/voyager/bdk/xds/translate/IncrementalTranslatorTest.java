package io.voyager.bdk.xds.translate;

import static io.voyager.bdk.xds.Fixtures.book;
import static io.voyager.bdk.xds.Fixtures.ready;
import static io.voyager.bdk.xds.Fixtures.slice;
import static io.voyager.bdk.xds.Fixtures.webhook;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.voyager.bdk.xds.model.BookSource;
import io.voyager.bdk.xds.model.EndpointSliceView;
import io.voyager.bdk.xds.model.GatewayInput;
import io.voyager.bdk.xds.model.ServiceKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** What the incremental translator reuses: the identical message objects of unchanged books and Services. */
class IncrementalTranslatorTest {
  static final String CHANGED_CLUSTER = "k8s/customer-3/book/8080";

  final IncrementalTranslator incremental = new IncrementalTranslator(GatewayTranslatorTest.XDS);
  final GatewayTranslator full = new GatewayTranslator(GatewayTranslatorTest.XDS);
  final List<BookSource> books = new ArrayList<>();
  final Map<ServiceKey, List<EndpointSliceView>> slices = new HashMap<>();

  IncrementalTranslatorTest() {
    for (int i = 0; i < 10; i++) {
      books.add(book("customer-" + i, "book", webhook("github", "github")));
      slices.put(new ServiceKey("customer-" + i, "book"), List.of(slice("customer-" + i, "book", "http", 8080, ready("10.0.0." + i))));
    }
  }

  GatewayInput input() {
    return GatewayTranslatorTest.input(books, slices);
  }

  static <T extends Message> Map<String, T> byName(List<T> messages, Function<T, String> name) {
    return messages.stream().collect(Collectors.toMap(name, m -> m));
  }

  static Map<String, Route> webhookRoutes(Translation t) {
    return byName(GatewayTranslatorTest.routes(t).getVirtualHosts(0).getRoutesList(), Route::getName).entrySet().stream()
        .filter(e -> e.getKey().startsWith("webhook"))
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
  }

  @Test
  void anUnchangedInputReusesEveryClusterLoadAssignmentAndWebhookRoute() {
    Translation before = incremental.translate(input());
    Translation after = incremental.translate(input());

    assertThat(after).isEqualTo(before);
    assertThat(after.resources().clusters()).hasSize(12);
    for (int i = 0; i < after.resources().clusters().size(); i++) {
      assertThat(after.resources().clusters().get(i)).isSameAs(before.resources().clusters().get(i));
      assertThat(after.resources().endpoints().get(i)).isSameAs(before.resources().endpoints().get(i));
    }
    Map<String, Route> routesBefore = webhookRoutes(before);
    assertThat(routesBefore).hasSize(20);
    webhookRoutes(after).forEach((name, route) -> assertThat(route).isSameAs(routesBefore.get(name)));
  }

  @Test
  void oneChangedEndpointSliceRebuildsOnlyThatLoadAssignmentAndKeepsItsCluster() {
    Translation before = incremental.translate(input());
    slices.put(new ServiceKey("customer-3", "book"), List.of(slice("customer-3", "book", "http", 8080, ready("10.0.1.3"))));
    Translation after = incremental.translate(input());

    assertThat(after).isEqualTo(full.translate(input()));
    Map<String, Cluster> clustersBefore = byName(before.resources().clusters(), Cluster::getName);
    byName(after.resources().clusters(), Cluster::getName)
        .forEach((name, cluster) -> assertThat(cluster).as(name).isSameAs(clustersBefore.get(name)));
    Map<String, ClusterLoadAssignment> clasBefore = byName(before.resources().endpoints(), ClusterLoadAssignment::getClusterName);
    byName(after.resources().endpoints(), ClusterLoadAssignment::getClusterName).forEach((name, cla) -> {
      if (name.equals(CHANGED_CLUSTER)) {
        assertThat(cla).as(name).isNotEqualTo(clasBefore.get(name));
      } else {
        assertThat(cla).as(name).isSameAs(clasBefore.get(name));
      }
    });
  }

  @Test
  void aBookGainingAnIntegrationAddsItsRoutesAndReusesEveryOtherRoute() {
    Translation before = incremental.translate(input());
    books.set(3, book("customer-3", "book", webhook("github", "github"), webhook("slack", "slack")));
    Translation after = incremental.translate(input());

    assertThat(after).isEqualTo(full.translate(input()));
    Map<String, Route> routesBefore = webhookRoutes(before);
    Map<String, Route> routesAfter = webhookRoutes(after);
    assertThat(routesAfter).hasSize(22);
    assertThat(routesAfter.keySet()).containsAll(routesBefore.keySet())
        .contains("webhook/customer-3/book/slack", "webhook-method/customer-3/book/slack");
    routesBefore.forEach((name, route) -> assertThat(routesAfter.get(name)).as(name).isSameAs(route));
    Map<String, Cluster> clustersBefore = byName(before.resources().clusters(), Cluster::getName);
    byName(after.resources().clusters(), Cluster::getName)
        .forEach((name, cluster) -> assertThat(cluster).as(name).isSameAs(clustersBefore.get(name)));
  }
}

package io.voyager.bdk.xds.version;

import static io.voyager.bdk.xds.Fixtures.book;
import static io.voyager.bdk.xds.Fixtures.webhook;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.controlplane.cache.Resources;
import io.voyager.bdk.xds.model.BookSource;
import io.voyager.bdk.xds.model.GatewayInput;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.translate.Anys;
import io.voyager.bdk.xds.translate.GatewayTranslator;
import io.voyager.bdk.xds.translate.XdsResources;
import io.voyager.bdk.xds.translate.XdsTranslator;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContentVersionsTest {
  static final GatewaySettings SETTINGS = GatewaySettings.defaults();

  static XdsResources translate(List<BookSource> books) {
    return new GatewayTranslator(new XdsTranslator(SETTINGS.transcoder()))
        .translate(new GatewayInput(SETTINGS, books, Map.of())).resources();
  }

  @Test
  void sameInputGivesTheSameVersionsRegardlessOfOrderAndInstances() {
    List<BookSource> books = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      books.add(book("customer-" + i, "b", webhook("github", "github"), webhook("slack", "slack")));
    }
    ContentVersionedSnapshot a = ContentVersionedSnapshot.of(translate(books));
    Collections.reverse(books);
    ContentVersionedSnapshot b = ContentVersionedSnapshot.of(translate(books));
    assertThat(b.summaryVersion()).isEqualTo(a.summaryVersion());
    for (Resources.ResourceType type : List.of(Resources.ResourceType.CLUSTER, Resources.ResourceType.ENDPOINT,
        Resources.ResourceType.LISTENER, Resources.ResourceType.ROUTE)) {
      assertThat(b.version(type)).isEqualTo(a.version(type));
    }
  }

  @Test
  void versionsAreContentHashesNotHashCodes() {
    XdsResources resources = translate(List.of(book("customer-a", "b", webhook("github", "github"))));
    ContentVersionedSnapshot snapshot = ContentVersionedSnapshot.of(resources);
    var listener = resources.listeners().get(0);
    assertThat(snapshot.listeners().versionedResources().get(XdsTranslator.LISTENER_NAME).version())
        .isEqualTo(ContentVersions.ofResource(listener))
        .isEqualTo(ContentVersions.ofResource(listener.toBuilder().build()))
        .matches("[0-9a-f]{16}");
  }

  @Test
  void mapOrderDoesNotChangeTheVersion() throws Exception {
    var s1 = com.google.protobuf.Struct.newBuilder()
        .putFields("a", com.google.protobuf.Value.newBuilder().setStringValue("1").build())
        .putFields("b", com.google.protobuf.Value.newBuilder().setStringValue("2").build()).build();
    var s2 = com.google.protobuf.Struct.newBuilder()
        .putFields("b", com.google.protobuf.Value.newBuilder().setStringValue("2").build())
        .putFields("a", com.google.protobuf.Value.newBuilder().setStringValue("1").build()).build();
    assertThat(ContentVersions.ofResource(s1)).isEqualTo(ContentVersions.ofResource(s2));
    assertThat(Anys.pack(s1)).isEqualTo(Anys.pack(s2));
  }

  @Test
  void changedContentChangesOnlyTheAffectedTypes() {
    ContentVersionedSnapshot before = ContentVersionedSnapshot.of(translate(List.of(book("customer-a", "b", webhook("github", "github")))));
    ContentVersionedSnapshot after = ContentVersionedSnapshot.of(translate(List.of(book("customer-a", "b", webhook("github", "github"), webhook("slack", "slack")))));
    assertThat(after.routes().version()).isNotEqualTo(before.routes().version());
    assertThat(after.listeners().version()).isEqualTo(before.listeners().version());
    assertThat(after.clusters().version()).isEqualTo(before.clusters().version());
  }

  @Test
  void snapshotIsConsistentEveryEdsClusterHasItsLoadAssignment() throws Exception {
    ContentVersionedSnapshot.of(translate(List.of(book("customer-a", "b", webhook("github", "github"))))).ensureConsistent();
  }
}

package io.voyager.bdk.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.voyager.bdk.controller.status.GatewayVerdict;
import io.voyager.bdk.controller.status.InstanceStatusWriter;
import io.voyager.bdk.controller.status.StatusCalculator;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import io.voyager.bdk.model.Condition;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An instance's status written from a stale object (an older resourceVersion than the server's,
 * as JOSDK's cache can hand a reconcile): JOSDK's {@code patchStatus} — a JSON Patch diffed from
 * that object, without a resourceVersion — adds the gateway's {@code WebhooksRouted} condition the
 * server already has a second time; {@link InstanceStatusWriter}'s update is refused (409), re-read
 * and written on the fresh object, so the condition is there once. Run on the fabric8 mock server
 * (CRUD mode, as {@code make run}) and on a real kube-apiserver.
 */
abstract class InstanceStatusWriterContract {
  static final Condition READY = new Condition(StatusCalculator.DEPLOYMENT_READY, "True", "Ready",
      "the deployment is ready", "2024-01-01T00:00:00Z", 1L);
  static final Condition ROUTED = new Condition(GatewayVerdict.CONDITION, "True", "Routed",
      "webhook routes are served by the gateway", "2024-01-01T00:00:01Z", 1L);
  static final Condition REJECTED = new Condition(GatewayVerdict.CONDITION, "False", "EnvoyRejected",
      "held out of the gateway until its resources change", "2024-01-01T00:00:05Z", 1L);

  abstract KubernetesClient client();

  static BookInstanceDefinitionStatus status(Condition... conditions) {
    return new BookInstanceDefinitionStatus(BookInstanceDefinitionStatus.READY,
        new BookInstanceDefinitionStatus.DeploymentStatus(2, 2), "2024-01-01T00:00:02Z", List.of(conditions), 1L, List.of());
  }

  BookInstanceDefinition created(String name) {
    return client().resource(Fixtures.instance(name, Fixtures.spec("customer-status-writer", "dedicated"))).create();
  }

  List<Condition> conditionsOf(String name) {
    BookInstanceDefinition read = client().resources(BookInstanceDefinition.class)
        .inNamespace(BdkLabels.BDK_NAMESPACE).withName(name).get();
    return read.getStatus().conditions();
  }

  /** What JOSDK 5's patchStatus sends without server-side apply: a JSON Patch diffed from {@code cached}, no resourceVersion. */
  void josdkPatchStatus(BookInstanceDefinition cached, BookInstanceDefinitionStatus next) {
    BookInstanceDefinition original = client().getKubernetesSerialization().clone(cached);
    original.getMetadata().setResourceVersion(null);
    client().resource(original).editStatus(r -> {
      r.setStatus(next);
      return r;
    });
  }

  @Test
  void aStatusFromAStaleObject_josdkPatchDuplicatesTheCondition_theUpdateWritesItOnce() {
    InstanceStatusWriter writer = new InstanceStatusWriter(client());
    BookInstanceDefinition stale = writer.write(created("stale-patch"), status(READY));
    writer.write(stale, status(READY, ROUTED)); // the server moves on; "stale" is what a lagging cache still holds

    josdkPatchStatus(stale, status(READY, ROUTED));

    assertThat(conditionsOf("stale-patch")).extracting(Condition::type)
        .containsExactly(StatusCalculator.DEPLOYMENT_READY, GatewayVerdict.CONDITION, GatewayVerdict.CONDITION);

    BookInstanceDefinition staleUpdate = writer.write(created("stale-update"), status(READY));
    writer.write(staleUpdate, status(READY, ROUTED));

    writer.write(staleUpdate, status(READY, ROUTED)); // the same status from the stale object: refused, re-read, already shown

    assertThat(conditionsOf("stale-update")).containsExactly(READY, ROUTED);
  }

  @Test
  void aChangedStatusFromAStaleObjectIsWrittenOnTheFreshOne_andRepairsADuplicate() {
    InstanceStatusWriter writer = new InstanceStatusWriter(client());
    BookInstanceDefinition stale = writer.write(created("stale-change"), status(READY));
    writer.write(stale, status(READY, ROUTED));
    josdkPatchStatus(stale, status(READY, ROUTED)); // the duplicate an earlier controller left

    BookInstanceDefinition written = writer.write(stale, status(READY, REJECTED));

    assertThat(written.getStatus().conditions()).containsExactly(READY, REJECTED);
    assertThat(conditionsOf("stale-change")).containsExactly(READY, REJECTED);
  }

  @Test
  void aDeletedInstanceIsSkipped() {
    BookInstanceDefinition instance = created("gone");
    client().resource(instance).delete();

    assertThat(new InstanceStatusWriter(client()).write(instance, status(READY))).isNull();
  }
}

package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.voyager.bdk.model.Condition;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.ExternalBookDefinitionSpec;
import io.voyager.bdk.xds.ir.BookTranslation;
import io.voyager.bdk.xds.nack.AcceptedConditionWriter;
import io.voyager.bdk.xds.nack.NackAttribution.BookRef;
import io.voyager.bdk.xds.watch.BookStatusLocks;
import io.voyager.bdk.xds.watch.StatusWriter;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * On a real kube-apiserver, two xds-server replicas (each with its own locks) writing an
 * ExternalBookDefinition's conditions at once lose nothing: the stale status write is refused
 * with 409 and made again from a fresh read.
 */
@EnableKubeAPIServer
class StatusWritesRealApiServerTest {
  static final String NS = "customer-status";

  @KubeConfig static String kubeConfigYaml;
  static KubernetesClient client;

  @BeforeAll
  static void start() throws Exception {
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
    ExternalClusterEndToEndTest.applyCrds(client);
    client.resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
  }

  @AfterAll
  static void stop() {
    client.close();
  }

  @Test
  void anotherReplicasAcceptedWriteBetweenReadAndWriteIsKept() {
    ExternalBookDefinition book = new ExternalBookDefinition();
    book.setMetadata(new ObjectMetaBuilder().withNamespace(NS).withName("book").build());
    book.setSpec(new ExternalBookDefinitionSpec("support", "1.0.0", null, null, null, null, null, null));
    client.resource(book).create();
    // Another replica: its own locks, so only the API server can order the two writes.
    AcceptedConditionWriter otherReplica = new AcceptedConditionWriter(client, new BookStatusLocks());
    AtomicInteger reads = new AtomicInteger();
    StatusWriter writer = new StatusWriter(client, new BookStatusLocks(), () -> {
      if (reads.getAndIncrement() == 0) {
        assertThat(otherReplica.write(new BookRef(NS, "book"), null)).isTrue();
      }
    });

    StatusWriter.Result result = writer.write(new BookTranslation.Rejected(NS, "book", "secret_ref: is required"),
        (ns, name) -> client.resources(ExternalBookDefinition.class).inNamespace(ns).withName(name).get());

    assertThat(result).isEqualTo(StatusWriter.Result.WRITTEN);
    assertThat(reads.get()).as("the stale write was refused (409) and made again from a fresh read").isEqualTo(2);
    List<Condition> conditions =
        client.resources(ExternalBookDefinition.class).inNamespace(NS).withName("book").get().getStatus().conditions();
    assertThat(conditions).extracting(Condition::type, Condition::status)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(AcceptedConditionWriter.CONDITION, "True"),
            org.assertj.core.groups.Tuple.tuple(StatusWriter.CONDITION, "False"));
  }
}

package io.voyager.bdk.xds.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.xds.ir.BookTranslation;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.server.SnapshotPublisher;
import io.voyager.bdk.xds.translate.IncrementalTranslator;
import io.voyager.bdk.xds.translate.XdsTranslator;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Status writes run beside the snapshot path, never on it. */
@EnableKubernetesMockClient(crud = true)
class GatewayWatcherStatusTest {
  static final Duration WAIT = Duration.ofSeconds(10);
  KubernetesClient client;
  SnapshotPublisher publisher;
  GatewayWatcher watcher;
  final CountDownLatch writeEntered = new CountDownLatch(1);
  final CountDownLatch releaseWrites = new CountDownLatch(1);

  /** The real StatusWriter, but every write first waits for {@link #releaseWrites}. */
  final class BlockingWriter implements StatusWriteQueue.Writer {
    final StatusWriter real;

    BlockingWriter(StatusWriter real) {
      this.real = real;
    }

    @Override
    public boolean mayNeedWrite(BookTranslation t, BiFunction<String, String, ExternalBookDefinition> lookup) {
      return real.mayNeedWrite(t, lookup);
    }

    @Override
    public StatusWriter.Result write(BookTranslation t, BiFunction<String, String, ExternalBookDefinition> lookup) {
      writeEntered.countDown();
      try {
        releaseWrites.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return StatusWriter.Result.FAILED;
      }
      return real.write(t, lookup);
    }
  }

  @BeforeEach
  void start() throws Exception {
    client.resource(GatewayWatcherTest.slice("bdk", "book-library", "grpc", 50051, true)).create();
    client.resource(GatewayWatcherTest.slice("bdk", "ext-authz", "grpc", 18010, true)).create();
    GatewaySettings settings = GatewaySettings.defaults();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    publisher = new SnapshotPublisher("bdk-gateway", registry);
    watcher = new GatewayWatcher(client, settings, new IncrementalTranslator(new XdsTranslator(settings.transcoder())),
        publisher, new BlockingWriter(new StatusWriter(client, new BookStatusLocks())),
        StatusWriteQueue.Runner.singleThread("test-status-writer"), registry, GatewayWatcherTest.FAST);
    watcher.start();
  }

  @AfterEach
  void stop() {
    releaseWrites.countDown();
    watcher.close();
  }

  boolean served(String cluster) {
    return publisher.current().map(s -> s.clusters().resources().containsKey(cluster)).orElse(false);
  }

  ExternalBookDefinition stored(String name) {
    return client.resources(ExternalBookDefinition.class).inNamespace("customer-a").withName(name).get();
  }

  @Test
  void aHangingStatusWriteDoesNotDelayTheNextSnapshot() {
    GatewayWatcherTest.createRoutable(client, "customer-a", "first");
    await().atMost(WAIT).until(() -> writeEntered.getCount() == 0);

    GatewayWatcherTest.createRoutable(client, "customer-a", "second");

    await().atMost(WAIT).until(() -> served("k8s/customer-a/second/8080"));
    assertThat(releaseWrites.getCount()).as("published while the first status write was still blocked").isEqualTo(1);
    assertThat(stored("first").getStatus()).isNull();

    releaseWrites.countDown();
    await().atMost(WAIT).untilAsserted(() -> {
      assertThat(stored("first").getStatus()).isNotNull();
      assertThat(stored("second").getStatus()).isNotNull();
    });
  }
}

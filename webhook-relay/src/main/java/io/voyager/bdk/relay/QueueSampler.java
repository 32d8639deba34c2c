package io.voyager.bdk.relay;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.StreamState;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples the streams for the queue gauges every {@code period} (two stream-info calls; no work per
 * scrape). The work stream keeps only undelivered webhooks (work-queue retention), so its first
 * message is the oldest one still waiting.
 */
final class QueueSampler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(QueueSampler.class);

  private final JetStreamManagement jsm;
  private final QueueSettings queue;
  private final RelayMetrics metrics;
  private final Clock clock;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
    Thread thread = new Thread(runnable, "relay-queue-sampler");
    thread.setDaemon(true);
    return thread;
  });

  QueueSampler(Connection connection, QueueSettings queue, RelayMetrics metrics, Clock clock) throws java.io.IOException {
    this.jsm = connection.jetStreamManagement();
    this.queue = queue;
    this.metrics = metrics;
    this.clock = clock;
  }

  void start(Duration period) {
    timer.scheduleWithFixedDelay(this::sample, 0, period.toMillis(), TimeUnit.MILLISECONDS);
  }

  void sample() {
    try {
      StreamState work = jsm.getStreamInfo(queue.workStream()).getStreamState();
      StreamState dead = jsm.getStreamInfo(queue.deadLetterStream()).getStreamState();
      double oldest = work.getMsgCount() == 0 || work.getFirstTime() == null ? 0
          : Math.max(0, Duration.between(work.getFirstTime().toInstant(), clock.instant()).toMillis() / 1000.0);
      metrics.streams(work.getMsgCount(), oldest, dead.getMsgCount());
    } catch (Exception e) {
      log.warn("event=queue_sample_failed error=\"{}\"", DeadLetters.oneLine(e.toString()));
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}

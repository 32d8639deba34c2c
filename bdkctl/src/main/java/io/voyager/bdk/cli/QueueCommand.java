package io.voyager.bdk.cli;

import io.nats.client.Connection;
import io.voyager.bdk.relay.QueueSettings;
import io.voyager.bdk.relay.QueueSummaries;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bdkctl webhook queue --namespace … --instance … --integration …}: what waits in JetStream
 * for an instance's queued bindings — the same figures as the library API's
 * {@code webhook_delivery_summary} on an instance read, read from NATS directly (also while the
 * library or the relays are down).
 */
@Command(name = "queue", mixinStandardHelpOptions = true,
    description = "Show an instance's queued webhooks per integration: waiting, age of the oldest, dead-lettered, last dead letter.")
final class QueueCommand implements Callable<Integer> {
  @Mixin NatsOptions nats;

  @Mixin InstanceOptions target;

  @Option(names = "--integration", required = true, paramLabel = "NAME",
      description = "A queued binding's integration (repeat for several).")
  List<String> integrations;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    try (Connection connection = nats.connect()) {
      QueueSummaries summaries = new QueueSummaries(connection, QueueSettings.defaults(), Duration.ofSeconds(5));
      Instant now = Instant.now();
      Table table = new Table("INTEGRATION", "WAITING", "OLDEST_WAITING", "DEAD_LETTERED", "LAST_DEAD_LETTER");
      for (String integration : integrations) {
        QueueSummaries.EndpointQueue q = summaries.read(target.namespace, target.instance, integration);
        String oldest = q.oldestWaitingSince() == null ? "-"
            : Duration.between(q.oldestWaitingSince(), now).toSeconds() + "s (since " + q.oldestWaitingSince() + ")";
        QueueSummaries.LastDeadLetter last = q.lastDeadLetter();
        String lastText = last == null ? "-"
            : last.reason() + " " + (last.lastStatus() != null ? last.lastStatus().toString()
                : last.lastError() != null ? last.lastError() : "-") + " at " + last.deadAt();
        table.row(integration, Long.toString(q.waiting()), oldest, Long.toString(q.deadLettered()), lastText);
      }
      table.print(out);
      out.flush();
      return 0;
    } catch (Exception e) {
      spec.commandLine().getErr().println("cannot read the queue from " + nats.url + ": " + e.getMessage());
      return 2;
    }
  }
}

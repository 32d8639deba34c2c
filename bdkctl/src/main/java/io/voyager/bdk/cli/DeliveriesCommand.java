package io.voyager.bdk.cli;

import io.nats.client.Connection;
import io.voyager.bdk.relay.DeliveryRecord;
import io.voyager.bdk.relay.DeliveryRecords;
import io.voyager.bdk.relay.QueueSettings;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bdkctl webhook deliveries --namespace … --instance …}: an instance's recent queued
 * deliveries from the relay's delivery records, most recently changed first.
 */
@Command(name = "deliveries", mixinStandardHelpOptions = true,
    description = "List an instance's recent queued deliveries: id, integration, state, attempts, last status, next attempt.")
final class DeliveriesCommand implements Callable<Integer> {
  @Mixin NatsOptions nats;

  @Mixin InstanceOptions target;

  @Option(names = "--limit", defaultValue = "50", description = "At most this many (default: ${DEFAULT-VALUE}).")
  int limit;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    try (Connection connection = nats.connect()) {
      List<DeliveryRecord> records = new DeliveryRecords(connection, QueueSettings.defaults()).recent(target.namespace, target.instance, limit);
      Table table = new Table("WEBHOOK_ID", "INTEGRATION", "STATE", "ATTEMPTS", "LAST_STATUS", "NEXT_ATTEMPT", "UPDATED");
      for (DeliveryRecord r : records) {
        table.row(r.webhookId(), r.integration(), r.state(), Integer.toString(r.attempts()),
            r.lastStatus() != null ? r.lastStatus().toString() : r.lastError() != null ? r.lastError() : "-",
            r.nextAttemptAt() == null ? "-" : r.nextAttemptAt(), r.updatedAt());
      }
      table.print(out);
      if (records.isEmpty()) {
        out.println("(no queued deliveries recorded for " + target + ")");
      }
      out.flush();
      return 0;
    } catch (Exception e) {
      spec.commandLine().getErr().println("cannot read deliveries from " + nats.url + ": " + e.getMessage());
      return 2;
    }
  }
}

package io.voyager.bdk.cli;

import io.nats.client.Connection;
import io.voyager.bdk.relay.DeadLetters;
import io.voyager.bdk.relay.DeliveryRecord;
import io.voyager.bdk.relay.DeliveryRecords;
import io.voyager.bdk.relay.Main;
import io.voyager.bdk.relay.QueueSettings;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bdkctl webhook dlq list|replay}: the webhook relay's dead letters. */
@Command(name = "dlq", mixinStandardHelpOptions = true,
    description = "Dead letters of queued delivery: list them, or replay them to their books.",
    subcommands = {DlqCommand.ListCommand.class, DlqCommand.ReplayCommand.class})
final class DlqCommand {

  /** Which dead letters: by id, by age, by instance. */
  static final class Selection {
    @Option(names = "--id", paramLabel = "WEBHOOK_ID", description = "Only this webhook.")
    String id;

    @Option(names = "--since", paramLabel = "DURATION", description = "Only those dead-lettered in the last DURATION, e.g. 30m, 1h, 24h.")
    String since;

    @Option(names = "--namespace", description = "Only this customer namespace's instance (with --instance).")
    String namespace;

    @Option(names = "--instance", description = "Only this instance (ExternalBookDefinition name; with --namespace).")
    String instance;

    @Option(names = "--limit", defaultValue = "100", description = "At most this many (default: ${DEFAULT-VALUE}).")
    int limit;

    private Instant from;

    /** Checks the flags before anything connects; a bad one is a usage error naming it. */
    void check(CommandSpec spec) {
      if (since != null) {
        try {
          from = Instant.now().minus(Main.duration("--since", since));
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
      }
      if ((namespace == null) != (instance == null)) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--namespace and --instance go together");
      }
    }

    List<DeadLetters.DeadLetter> find(Connection connection) throws Exception {
      String of = namespace == null ? null : namespace + "/" + instance;
      return new DeadLetters(connection, QueueSettings.defaults(), Duration.ofSeconds(10)).list(from, id, of, limit);
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List dead letters, oldest first.")
  static final class ListCommand implements Callable<Integer> {
    @Mixin NatsOptions nats;
    @Mixin Selection selection;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      selection.check(spec);
      PrintWriter out = spec.commandLine().getOut();
      try (Connection connection = nats.connect()) {
        List<DeadLetters.DeadLetter> letters = selection.find(connection);
        Table table = new Table("SEQ", "WEBHOOK_ID", "INSTANCE", "INTEGRATION", "REASON", "ATTEMPTS", "LAST", "DEAD_AT");
        for (DeadLetters.DeadLetter d : letters) {
          table.row(Long.toString(d.sequence()), d.webhook().webhookId(), d.webhook().instance(), d.webhook().integration(),
              d.reason(), Integer.toString(d.attempts()),
              d.lastStatus() != null ? d.lastStatus().toString() : d.lastError() != null ? d.lastError() : "-",
              d.deadAt().toString());
        }
        table.print(out);
        out.flush();
        return 0;
      } catch (CommandLine.ParameterException e) {
        throw e;
      } catch (Exception e) {
        spec.commandLine().getErr().println("cannot read dead letters from " + nats.url + ": " + e.getMessage());
        return 2;
      }
    }
  }

  @Command(name = "replay", mixinStandardHelpOptions = true,
      description = "Publish dead letters to the queue again (same webhook id to the book, attempts from zero) and "
          + "remove them from the dead-letter stream. Give --id, --since or --all.")
  static final class ReplayCommand implements Callable<Integer> {
    @Mixin NatsOptions nats;
    @Mixin Selection selection;

    @Option(names = "--all", description = "Every dead letter (up to --limit).")
    boolean all;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      if (!all && selection.id == null && selection.since == null && selection.instance == null) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "say which dead letters to replay: --id WEBHOOK_ID, --since DURATION, --namespace/--instance, or --all");
      }
      selection.check(spec);
      PrintWriter out = spec.commandLine().getOut();
      try (Connection connection = nats.connect()) {
        DeadLetters deadLetters = new DeadLetters(connection, QueueSettings.defaults(), Duration.ofSeconds(10));
        DeliveryRecords records = new DeliveryRecords(connection, QueueSettings.defaults());
        int replayed = 0;
        for (DeadLetters.DeadLetter d : selection.find(connection)) {
          var w = d.webhook();
          // recorded first: the worker may deliver the replay at once and its record must win
          records.put(w.namespace(), w.name(), new DeliveryRecord(w.webhookId(), w.instance(), w.integration(),
              DeliveryRecord.REPLAYED, 0, d.lastStatus(), d.lastError(), null, w.receivedAt().toString(),
              Instant.now().toString(), -1));
          deadLetters.replay(d);
          out.println("replayed " + w.webhookId() + " (" + w.instance() + "/" + w.integration() + ")");
          replayed++;
        }
        out.println(replayed == 0 ? "no dead letters matched" : replayed + " replayed");
        out.flush();
        return 0;
      } catch (CommandLine.ParameterException e) {
        throw e;
      } catch (Exception e) {
        spec.commandLine().getErr().println("cannot replay dead letters from " + nats.url + ": " + e.getMessage());
        return 2;
      }
    }
  }
}

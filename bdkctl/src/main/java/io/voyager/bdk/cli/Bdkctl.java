package io.voyager.bdk.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code bdkctl}: the BDK gateway's operator and sender CLI (webhooks, local-stack tokens, benchmarks). */
@Command(name = "bdkctl", mixinStandardHelpOptions = true, version = "bdkctl 0.1.0",
    description = "BDK gateway CLI.",
    subcommands = {Bdkctl.Webhook.class, TokenCommand.class, DevIssuerCommand.class, CertCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Bdkctl {

  /** {@code bdkctl webhook sign|send|deliveries|dlq}. */
  @Command(name = "webhook", mixinStandardHelpOptions = true,
      description = "Sign and send webhooks as a provider would; see queued deliveries and dead letters.",
      subcommands = {SignCommand.class, SendCommand.class, DeliveriesCommand.class, QueueCommand.class, DlqCommand.class})
  static final class Webhook {}

  public static CommandLine commandLine() {
    return new CommandLine(new Bdkctl());
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }
}

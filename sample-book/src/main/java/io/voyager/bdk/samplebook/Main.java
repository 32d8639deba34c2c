package io.voyager.bdk.samplebook;

import io.voyager.bdk.support.ServiceMain;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs the sample book backend: {@code GET /health}, webhooks by {@code POST}, {@code GET /debug/received}. */
@Command(
    name = "sample-book",
    mixinStandardHelpOptions = true,
    description = "The sample book backend that webhooks reach: logs and acknowledges each one.")
public final class Main {
  @Option(names = "--port", description = "HTTP port (0 picks a free one). Default: ${DEFAULT-VALUE}.")
  int port = 8080;

  @Option(names = "--host", description = "Address to bind. Default: ${DEFAULT-VALUE}.")
  String host = "0.0.0.0";

  @Option(names = "--name", description = "Name this backend reports (handled_by). Default: $HOSTNAME or ${DEFAULT-VALUE}.")
  String name = "sample-book";

  @Option(names = "--history", description = "How many received webhooks /debug/received keeps. Default: ${DEFAULT-VALUE}.")
  int history = SampleBook.DEFAULT_HISTORY;

  public static void main(String[] args) {
    CommandLine commandLine = new CommandLine(new Main());
    try {
      commandLine.parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      System.err.println(e.getMessage());
      commandLine.usage(System.err);
      System.exit(2);
    }
    if (commandLine.isUsageHelpRequested() || commandLine.isVersionHelpRequested()) {
      commandLine.usage(System.out);
      return;
    }
    ServiceMain.runUntilShutdown(start(args));
  }

  /** Starts the sample book and returns once it is listening; {@code close()} stops it. */
  public static SampleBook start(String... args) {
    Main options = new Main();
    String hostname = System.getenv("HOSTNAME");
    if (hostname != null && !hostname.isBlank()) {
      options.name = hostname;
    }
    new CommandLine(options).parseArgs(args);
    return SampleBook.start(options.host, options.port, options.name, options.history);
  }
}

package io.voyager.bdk.samplebook;

import io.voyager.bdk.support.ServiceMain;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs the sample book backend: {@code GET /health}, webhooks by {@code POST}, {@code GET /debug/received}. */
@Command(
    name = "sample-book",
    mixinStandardHelpOptions = true,
    description = "The sample book backend that webhooks reach: logs and acknowledges each one.")
public final class Main implements Callable<SampleBook> {
  @Option(names = "--port", description = "HTTP port (0 picks a free one). Default: ${DEFAULT-VALUE}.")
  int port = 8080;

  @Option(names = "--host", description = "Address to bind. Default: ${DEFAULT-VALUE}.")
  String host = "0.0.0.0";

  @Option(names = "--name", description = "Name this backend reports (handled_by). Default: $HOSTNAME or sample-book.")
  String name = defaultName();

  @Option(names = "--history", description = "How many received webhooks /debug/received keeps. Default: ${DEFAULT-VALUE}.")
  int history = SampleBook.DEFAULT_HISTORY;

  public static void main(String[] args) {
    ServiceMain.main(new Main(), args);
  }

  /** Starts the sample book and returns once it is listening; {@code close()} stops it. */
  public static SampleBook start(String... args) {
    return ServiceMain.start(new Main(), args);
  }

  @Override
  public SampleBook call() {
    return SampleBook.start(host, port, name, history);
  }

  private static String defaultName() {
    String hostname = System.getenv("HOSTNAME");
    return hostname != null && !hostname.isBlank() ? hostname : "sample-book";
  }
}

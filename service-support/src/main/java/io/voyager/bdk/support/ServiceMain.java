package io.voyager.bdk.support;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * How every service starts. A service's picocli command is a {@code Callable} that starts it and
 * returns a handle to stop it; {@link #start} is what tests and the local stack call in-process,
 * {@link #main} is what {@code java … Main} runs.
 */
public final class ServiceMain {
  private static final Logger log = LoggerFactory.getLogger(ServiceMain.class);

  static {
    JavaUtilLogging.routeToSlf4j();
  }

  private ServiceMain() {}

  /**
   * Parses {@code args} into {@code command} and starts it; returns once the service is ready.
   *
   * @throws CommandLine.ParameterException for a bad flag, with a message naming it
   */
  public static <T extends AutoCloseable> T start(Callable<T> command, String... args) {
    new CommandLine(command).parseArgs(args);
    try {
      return command.call();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /**
   * Runs the service until SIGTERM/SIGINT. {@code --help} prints usage; a bad flag prints the
   * problem and usage and exits 2; a failure to start exits 1.
   */
  public static void main(Callable<? extends AutoCloseable> command, String... args) {
    CommandLine cli = new CommandLine(command);
    try {
      cli.parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      System.err.println(e.getMessage());
      cli.usage(System.err);
      System.exit(2);
    }
    if (cli.isUsageHelpRequested() || cli.isVersionHelpRequested()) {
      cli.usage(System.out);
      return;
    }
    AutoCloseable running;
    try {
      running = command.call();
    } catch (Exception e) {
      log.error("event=start_failed error=\"{}\"", e.toString());
      System.exit(1);
      return;
    }
    runUntilShutdown(running);
  }

  public static void runUntilShutdown(AutoCloseable running) {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  log.info("event=shutdown_requested");
                  try {
                    running.close();
                  } catch (Exception e) {
                    log.warn("event=shutdown_failed error=\"{}\"", e.toString());
                  } finally {
                    stopped.countDown();
                  }
                },
                "shutdown"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

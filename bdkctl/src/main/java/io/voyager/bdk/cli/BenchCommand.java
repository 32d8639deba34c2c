package io.voyager.bdk.cli;

import io.voyager.bdk.extauthz.bench.CheckBenchmark;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bdkctl bench check}: ext-authz's Check API benchmark (not a test). */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks.", subcommands = BenchCommand.Check.class)
final class BenchCommand {

  @Command(name = "check", mixinStandardHelpOptions = true,
      description = "Drive ext-authz's Check API in-process over gRPC; print checks/s and p50/p99 per scheme for a 1 KiB body.")
  static final class Check implements Callable<Integer> {
    @Option(names = "--seconds", defaultValue = "3", description = "Measured seconds per scheme (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--warmup-seconds", defaultValue = "2", description = "Warm-up seconds per scheme (default: ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Option(names = "--threads", defaultValue = "2", description = "Concurrent callers (default: ${DEFAULT-VALUE}).")
    int threads;

    @Override
    public Integer call() throws Exception {
      CheckBenchmark.run(new CheckBenchmark.Settings(warmupSeconds, seconds, threads), System.out);
      return 0;
    }
  }
}

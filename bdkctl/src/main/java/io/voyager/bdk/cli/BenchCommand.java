package io.voyager.bdk.cli;

import io.voyager.bdk.extauthz.bench.CheckBenchmark;
import io.voyager.bdk.nats.NatsServerBinary;
import io.voyager.bdk.nats.NatsServerProcess;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bdkctl bench check}: ext-authz's Check API benchmark (not a test). */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks.", subcommands = BenchCommand.Check.class)
final class BenchCommand {

  @Command(name = "check", mixinStandardHelpOptions = true,
      description = "Drive ext-authz's Check API over loopback gRPC (by default the server in its own JVM, started with the deployed "
          + "JVM settings); print checks/s and p50/p99 per scheme for a 1 KiB body.")
  static final class Check implements Callable<Integer> {
    @Option(names = "--seconds", defaultValue = "3", description = "Measured seconds per scheme (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--warmup-seconds", defaultValue = "2", description = "Warm-up seconds per scheme (default: ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Option(names = "--connections", defaultValue = "2",
        description = "HTTP/2 connections to the server, as Envoy keeps one per worker (default: ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--in-flight", defaultValue = "16",
        description = "Concurrent Check calls over all connections, each followed by the next when answered (default: ${DEFAULT-VALUE}).")
    int inFlight;

    @Option(names = "--state", defaultValue = "both",
        description = "Where the replay and rate-limit state lives: memory (ext-authz without --nats-url), jetstream (key-value on "
            + "NATS, as ext-authz --nats-url keeps it) or both, one after the other, reported apart (default: ${DEFAULT-VALUE}).")
    String state;

    @Option(names = "--nats-url",
        description = "For --state jetstream/both: this NATS server (default: the pinned nats-server, started for the run on an "
            + "ephemeral port).")
    String natsUrl;

    @Option(names = "--server", defaultValue = "process",
        description = "process: the Check server in its own JVM (--server-jvm-options), so the client's GC pauses and allocations do not"
            + " count as the server's latency; in-process: client and server in this JVM, as the earlier benchmark (default: ${DEFAULT-VALUE}).")
    String server;

    @Option(names = "--server-jvm-options", split = " ",
        description = "With --server process: the server JVM's options (default: as k8s/deploy/ext-authz.yaml runs it in a 1 GiB,"
            + " 2-CPU container: -XX:MaxRAM=1g -XX:MaxRAMPercentage=75 -XX:ActiveProcessorCount=2 -XX:+UseSerialGC).")
    List<String> serverJvmOptions;

    @Override
    public Integer call() throws Exception {
      if (!List.of("process", "in-process").contains(server)) {
        throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
            "--server must be process or in-process; got '" + server + "'");
      }
      CheckBenchmark.Server where = server.equals("in-process") ? CheckBenchmark.Server.inProcess()
          : CheckBenchmark.Server.childProcess(serverJvmOptions == null ? CheckBenchmark.DEPLOYED_JVM_OPTIONS
              : serverJvmOptions.stream().filter(o -> !o.isBlank()).toList());
      CheckBenchmark.Settings settings;
      try {
        settings = new CheckBenchmark.Settings(warmupSeconds, seconds, connections, inFlight);
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
            "--seconds, --warmup-seconds, --connections, --in-flight: " + e.getMessage());
      }
      if (!List.of("memory", "jetstream", "both").contains(state)) {
        throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
            "--state must be memory, jetstream or both; got '" + state + "'");
      }
      if (!state.equals("jetstream")) {
        CheckBenchmark.run(settings, null, where, System.out);
      }
      if (!state.equals("memory")) {
        if (natsUrl != null) {
          CheckBenchmark.run(settings, natsUrl, where, System.out);
        } else {
          java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("bdk-check-bench-nats");
          try (NatsServerProcess nats = NatsServerProcess.startEphemeral(
              NatsServerBinary.checkoutRoot(), dir)) {
            CheckBenchmark.run(settings, nats.url(), where, System.out);
          } finally {
            deleteTree(dir); // the run's JetStream store (tens of MB of replay keys)
          }
        }
      }
      return 0;
    }

    private static void deleteTree(java.nio.file.Path dir) {
      try (Stream<java.nio.file.Path> paths = java.nio.file.Files.walk(dir)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (java.io.IOException e) {
        System.err.println("could not remove " + dir + ": " + e.getMessage());
      }
    }
  }
}

package io.voyager.bdk.cli;

import io.voyager.bdk.model.DnsNames;
import io.voyager.bdk.support.tls.CertificateAuthority;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code bdkctl cert}: issues a client certificate from the running local stack's internal CA
 * ({@code <run dir>/tls/internal}, made at every {@code make run}), so a gRPC client (grpcurl, a
 * test, a tool) can call the library-service, ext-authz or the xds-server, which all require
 * mutual TLS. Writes {@code tls.crt}, {@code tls.key} (owner-only) and {@code ca.crt} and prints
 * the grpcurl flags. In a cluster, issue client certificates from the internal CA with
 * cert-manager instead (a Certificate with {@code usages: [client auth]}).
 */
@Command(name = "cert", mixinStandardHelpOptions = true,
    description = {"Issue a client certificate of the running local stack's internal CA (mutual TLS to its gRPC ports).",
        "Example: bin/bdkctl cert --name alice, then grpcurl $(bin/bdkctl cert --name alice --print-flags) 127.0.0.1:50051 list"})
final class CertCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--name", defaultValue = "operator", paramLabel = "NAME",
      description = "Who the certificate is for (a DNS label): its CN and URI spiffe://bdk/operator/NAME. Default: ${DEFAULT-VALUE}.")
  String name;

  @Option(names = "--uri", paramLabel = "URI",
      description = "The URI SAN instead of spiffe://bdk/operator/NAME (an Envoy's is spiffe://bdk/envoy/<node.cluster>).")
  String uri;

  @Option(names = "--ttl-hours", defaultValue = "24", description = "Validity in hours, 1 to 720. Default: ${DEFAULT-VALUE}.")
  int ttlHours;

  @Option(names = "--run-dir", defaultValue = ".run", paramLabel = "DIR",
      description = "The local stack's run directory. Default: ${DEFAULT-VALUE}.")
  Path runDir;

  @Option(names = "--out", paramLabel = "DIR", description = "Where to write tls.crt, tls.key and ca.crt. Default: <run dir>/tls/clients/NAME.")
  Path out;

  @Option(names = "--print-flags", description = "Print only the grpcurl flags (-cacert … -cert … -key …), e.g. for $(…).")
  boolean printFlags;

  @Override
  public Integer call() {
    DnsNames.labelProblem(name).ifPresent(p -> {
      throw new ParameterException(spec.commandLine(), "--name: " + p);
    });
    if (ttlHours < 1 || ttlHours > 720) {
      throw new ParameterException(spec.commandLine(), "--ttl-hours: must be from 1 to 720, got " + ttlHours);
    }
    String san = uri != null ? uri : "spiffe://bdk/operator/" + name;
    if (!san.matches("[a-z][a-z0-9+.-]*://\\S+")) {
      throw new ParameterException(spec.commandLine(), "--uri: '" + san + "' is not an absolute URI");
    }
    Path caDir = runDir.resolve("tls").resolve("internal");
    CertificateAuthority ca;
    try {
      ca = CertificateAuthority.load(caDir);
    } catch (IOException e) {
      PrintWriter err = spec.commandLine().getErr();
      err.println("error: no local stack CA in " + caDir + " (make run writes it at start): " + e.getMessage());
      err.flush();
      return 1;
    }
    Path dir = out != null ? out : runDir.resolve("tls").resolve("clients").resolve(name);
    try {
      ca.issue(name, List.of(), List.of(), List.of(san), Set.of(CertificateAuthority.Usage.CLIENT), Duration.ofHours(ttlHours))
          .writeTo(dir);
    } catch (IOException e) {
      PrintWriter err = spec.commandLine().getErr();
      err.println("error: cannot write " + dir + ": " + e.getMessage());
      err.flush();
      return 1;
    }
    String flags = "-cacert " + dir.resolve("ca.crt") + " -cert " + dir.resolve("tls.crt") + " -key " + dir.resolve("tls.key");
    PrintWriter stdout = spec.commandLine().getOut();
    if (printFlags) {
      stdout.println(flags);
    } else {
      stdout.println("wrote " + dir.resolve("tls.crt") + ", tls.key and ca.crt (" + san + ", valid " + ttlHours + " h)");
      stdout.println("grpcurl " + flags + " 127.0.0.1:50051 list");
    }
    stdout.flush();
    return Files.isReadable(dir.resolve("tls.key")) ? 0 : 1;
  }
}

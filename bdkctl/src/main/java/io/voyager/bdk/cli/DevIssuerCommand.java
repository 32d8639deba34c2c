package io.voyager.bdk.cli;

import io.voyager.bdk.support.auth.DevIssuer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code bdkctl dev-issuer}: the signing keys of a development install's own token issuer — what
 * {@code make run} makes at every start, kept here for a cluster installed with the {@code dev}
 * overlay, which has no OIDC provider. The issuer (its RSA and P-256 private keys) is written once
 * to {@code <run dir>/auth/issuer.json} (0600 in a 0700 directory) and kept on later runs, so
 * tokens stay valid; stdout gets the public keys only, as a JWKS, for the ConfigMap the
 * xds-server and the library-service read ({@code --jwks-configmap}). {@code bdkctl token
 * --run-dir <run dir>} then signs tokens with it.
 */
@Command(name = "dev-issuer", mixinStandardHelpOptions = true,
    description = {"Make (once) the signing keys of a development token issuer and print its public JWKS.",
        "For clusters installed with k8s/overlays/dev (k8s/overlays/dev/secrets.sh runs it); not for production.",
        "Example: bin/bdkctl dev-issuer --run-dir .run/bdk-dev > jwks.json && bin/bdkctl token --run-dir .run/bdk-dev --role platform-admin"})
final class DevIssuerCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--run-dir", required = true, paramLabel = "DIR",
      description = "Where the issuer is kept (DIR/auth/issuer.json); bdkctl token --run-dir DIR reads it.")
  Path runDir;

  @Option(names = "--issuer", defaultValue = "bdk-dev",
      description = "The tokens' iss, and the services' --jwt-issuer. Default: ${DEFAULT-VALUE}.")
  String issuer;

  @Option(names = "--audience", defaultValue = DevIssuer.LOCAL_AUDIENCE,
      description = "The tokens' aud, and the services' --jwt-audience. Default: ${DEFAULT-VALUE}.")
  String audience;

  @Option(names = "--rotate", description = "Replace the keys even when the run directory has some (tokens signed before stop working).")
  boolean rotate;

  @Override
  public Integer call() {
    if (issuer.isBlank()) {
      throw new ParameterException(spec.commandLine(), "--issuer: must not be empty");
    }
    if (audience.isBlank()) {
      throw new ParameterException(spec.commandLine(), "--audience: must not be empty");
    }
    Path dir = runDir.resolve("auth");
    Path file = dir.resolve(DevIssuer.FILE_NAME);
    PrintWriter err = spec.commandLine().getErr();
    DevIssuer kept;
    if (Files.exists(file) && !rotate) {
      try {
        kept = DevIssuer.read(dir);
      } catch (RuntimeException e) {
        err.println("error: " + e.getMessage() + " (--rotate replaces it)");
        err.flush();
        return 1;
      }
      if (!kept.issuer().equals(issuer) || !kept.audience().equals(audience)) {
        err.printf("error: %s is issuer '%s', audience '%s'; asked for --issuer '%s' --audience '%s'"
            + " (--rotate replaces it)%n", file, kept.issuer(), kept.audience(), issuer, audience);
        err.flush();
        return 1;
      }
    } else {
      kept = DevIssuer.generate(issuer, audience);
      try {
        kept.writeTo(dir);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
      }
      err.printf("bdkctl: new issuer '%s' (audience '%s'), keys in %s%n", issuer, audience, file);
      err.flush();
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println(kept.publicJwks());
    out.flush();
    return 0;
  }
}

package io.voyager.bdk.cli;

import io.voyager.bdk.model.BdkRoles;
import io.voyager.bdk.support.auth.DevIssuer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code bdkctl token}: prints a bearer token the running local stack accepts, signed by the
 * stack's own issuer (its keys are in {@code <run dir>/auth/issuer.json}, written at every
 * {@code make run}). Only the token goes to stdout, so
 * {@code curl -H "authorization: Bearer $(bin/bdkctl token --org acme --role org-admin)" …} works.
 */
@Command(name = "token", mixinStandardHelpOptions = true,
    description = {"Print a bearer token (JWT) the running local stack accepts, signed by its own issuer.",
        "Example: curl -H \"authorization: Bearer $(bin/bdkctl token --org acme --role org-admin)\" http://127.0.0.1:8080/api/v1/books"})
final class TokenCommand implements Callable<Integer> {
  static final Duration MAX_TTL = Duration.ofDays(30);
  private static final Pattern SHORT_DURATION = Pattern.compile("(\\d+)([smhd])");

  @Spec
  CommandSpec spec;

  @Option(names = "--org", paramLabel = "ID",
      description = "Organization id (claim org), e.g. acme or globex. Required for org-admin and org-viewer.")
  String organization;

  @Option(names = "--role", required = true, split = ",", paramLabel = "ROLE",
      description = "platform-admin, org-admin or org-viewer (repeat or comma-separate for several).")
  List<String> roles = new ArrayList<>();

  @Option(names = "--ttl", defaultValue = "1h", paramLabel = "DURATION",
      description = "Lifetime: 90s, 30m, 1h, 2d or ISO-8601 (PT1H); at most 30d. Default: ${DEFAULT-VALUE}.")
  String ttl;

  @Option(names = "--alg", defaultValue = "RS256", description = "RS256 or ES256. Default: ${DEFAULT-VALUE}.")
  String alg;

  @Option(names = "--run-dir", defaultValue = ".run", paramLabel = "DIR",
      description = "The local stack's run directory (make run ARGS=--run-dir …). Default: ${DEFAULT-VALUE}.")
  Path runDir;

  @Option(names = "--subject", paramLabel = "SUB",
      description = "Subject (claim sub). Default: <org>-<first role>, e.g. acme-org-admin, or <role> without --org.")
  String subject;

  @Override
  public Integer call() {
    List<String> checkedRoles = roles();
    if (organization != null && organization.isBlank()) {
      throw new ParameterException(spec.commandLine(), "--org: must not be empty");
    }
    if (organization == null && checkedRoles.stream().anyMatch(r -> !r.equals(BdkRoles.PLATFORM_ADMIN.claimValue()))) {
      throw new ParameterException(spec.commandLine(),
          "--org: org-admin and org-viewer act for an organization: add --org ID (the local stack has acme and globex)");
    }
    Duration lifetime = ttl();
    DevIssuer.Algorithm algorithm;
    try {
      algorithm = DevIssuer.algorithm(alg);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--" + e.getMessage());
    }
    String sub = subject != null ? subject
        : (organization != null ? organization + "-" : "") + checkedRoles.get(0);
    DevIssuer issuer;
    try {
      issuer = DevIssuer.read(runDir.resolve("auth"));
    } catch (RuntimeException e) {
      PrintWriter err = spec.commandLine().getErr();
      err.println("error: " + e.getMessage());
      err.flush();
      return 1;
    }
    String token = issuer.mint(new DevIssuer.TokenRequest(sub, organization, checkedRoles, lifetime, Instant.now()), algorithm);
    PrintWriter out = spec.commandLine().getOut();
    out.println(token);
    out.flush();
    return 0;
  }

  private List<String> roles() {
    List<String> checked = new ArrayList<>();
    for (String role : roles) {
      String name = role.trim().toLowerCase(Locale.ROOT);
      if (BdkRoles.fromClaim(name).isEmpty()) {
        throw new ParameterException(spec.commandLine(), "--role: '" + role + "' is not one of "
            + Arrays.stream(BdkRoles.values()).map(BdkRoles::claimValue).toList());
      }
      if (!checked.contains(name)) {
        checked.add(name);
      }
    }
    return checked;
  }

  private Duration ttl() {
    Duration parsed;
    Matcher m = SHORT_DURATION.matcher(ttl.trim().toLowerCase(Locale.ROOT));
    try {
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        parsed = switch (m.group(2)) {
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> Duration.ofDays(n);
        };
      } else {
        parsed = Duration.parse(ttl.trim().toUpperCase(Locale.ROOT));
      }
    } catch (DateTimeParseException | ArithmeticException | NumberFormatException e) {
      throw new ParameterException(spec.commandLine(), "--ttl: '" + ttl + "' is not a duration (90s, 30m, 1h, 2d or PT1H)");
    }
    if (parsed.isNegative() || parsed.isZero() || parsed.compareTo(MAX_TTL) > 0) {
      throw new ParameterException(spec.commandLine(), "--ttl: must be more than 0 and at most 30d, got " + ttl);
    }
    return parsed;
  }
}

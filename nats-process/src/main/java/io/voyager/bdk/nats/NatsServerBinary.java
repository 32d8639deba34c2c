package io.voyager.bdk.nats;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the nats-server binary, first match wins:
 * <ol>
 *   <li>{@code $NATS_SERVER_BIN} (an explicit choice: must be an executable file);</li>
 *   <li>the pinned build {@code nats-server/build.sh} made ({@code make nats-server}):
 *       {@code ${NATS_SERVER_DIR:-~/.cache/bdk/nats-server}/<version>-<os>-<arch>/nats-server}, the
 *       version read from {@code nats-server/go.mod} in the checkout.</li>
 * </ol>
 * Not {@code nats-server} on {@code PATH}: Debian's package is 2.9.x, too old for per-key KV TTL.
 */
public final class NatsServerBinary {
  public static final String ENV_BIN = "NATS_SERVER_BIN";
  public static final String ENV_DIR = "NATS_SERVER_DIR";
  private static final Pattern PINNED =
      Pattern.compile("(?m)^\\s*(?:require\\s+)?github\\.com/nats-io/nats-server/v2\\s+v([0-9][^\\s]*)");

  private NatsServerBinary() {}

  /**
   * The checkout whose {@code nats-server/} build to use: {@code -Dproject.root} when set (the root
   * pom sets it for every test, {@code make run} for the stack), else the working directory or, when
   * that has no {@code nats-server/} (a module's tests run in the module's folder), its parent.
   */
  public static Path checkoutRoot() {
    String property = System.getProperty("project.root");
    if (property != null && !property.isBlank()) {
      return Path.of(property).toAbsolutePath().normalize();
    }
    Path cwd = Path.of("").toAbsolutePath();
    return Files.isDirectory(cwd.resolve("nats-server")) ? cwd : cwd.getParent();
  }

  /** Locates nats-server for the checkout at {@code projectRoot}, or fails saying how to get one. */
  public static Path locate(Path projectRoot) {
    return locate(System.getenv(), System.getProperty("user.home"), projectRoot)
        .orElseThrow(() -> new IllegalStateException(
            "nats-server not found: run `make nats-server` in " + projectRoot.toAbsolutePath().normalize()
                + " (builds the pinned version from the Go module proxy into ~/.cache/bdk/nats-server),"
                + " or set $" + ENV_BIN + " to a nats-server >= 2.11"));
  }

  /** Pure apart from file-system checks. */
  static Optional<Path> locate(Map<String, String> env, String userHome, Path projectRoot) {
    String explicit = env.get(ENV_BIN);
    if (explicit != null && !explicit.isBlank()) {
      Path path = Path.of(explicit);
      if (!Files.isRegularFile(path) || !Files.isExecutable(path)) {
        throw new IllegalStateException("$" + ENV_BIN + "=" + explicit + " is not an executable file");
      }
      return Optional.of(path);
    }
    Optional<String> version = pinnedVersion(projectRoot);
    if (version.isEmpty()) {
      return Optional.empty();
    }
    String dir = env.getOrDefault(ENV_DIR, "");
    Path cache = dir.isBlank() ? Path.of(userHome, ".cache", "bdk", "nats-server") : Path.of(dir);
    Path binary = cache.resolve(version.get() + "-" + goOs() + "-" + goArch()).resolve("nats-server");
    return Files.isRegularFile(binary) && Files.isExecutable(binary) ? Optional.of(binary) : Optional.empty();
  }

  /** The version {@code nats-server/go.mod} pins, e.g. {@code 2.15.3}. */
  static Optional<String> pinnedVersion(Path projectRoot) {
    Path goMod = projectRoot.resolve("nats-server").resolve("go.mod");
    if (!Files.isRegularFile(goMod)) {
      return Optional.empty();
    }
    try {
      Matcher m = PINNED.matcher(Files.readString(goMod));
      return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String goOs() {
    String os = System.getProperty("os.name").toLowerCase();
    return os.contains("mac") ? "darwin" : os.contains("win") ? "windows" : "linux";
  }

  private static String goArch() {
    String arch = System.getProperty("os.arch");
    return switch (arch) {
      case "amd64", "x86_64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      default -> arch;
    };
  }
}

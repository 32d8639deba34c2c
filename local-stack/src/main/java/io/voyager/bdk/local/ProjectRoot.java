package io.voyager.bdk.local;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The checkout the stack, its benchmarks and its tests read files from (Envoy's bootstrap, the
 * manifests, the pinned binaries' builds): {@code -Dproject.root} (set by the Makefile and by the
 * root pom for tests), else the working directory when it holds {@code envoy/}, else its parent (a
 * module's folder).
 */
public final class ProjectRoot {
  private ProjectRoot() {}

  public static Path get() {
    String property = System.getProperty("project.root");
    if (property != null && !property.isBlank()) {
      return Path.of(property).toAbsolutePath().normalize();
    }
    Path cwd = Path.of("").toAbsolutePath();
    return Files.isDirectory(cwd.resolve("envoy")) ? cwd : cwd.getParent();
  }
}

package io.voyager.bdk.local;

import java.nio.file.Files;
import java.nio.file.Path;

/** The checkout root in tests: {@code -Dproject.root} (set by the root pom), else the parent of cwd. */
final class ProjectRoot {
  private ProjectRoot() {}

  static Path get() {
    String property = System.getProperty("project.root");
    if (property != null && !property.isBlank()) {
      return Path.of(property).toAbsolutePath().normalize();
    }
    Path cwd = Path.of("").toAbsolutePath();
    return Files.isDirectory(cwd.resolve("envoy")) ? cwd : cwd.getParent();
  }
}

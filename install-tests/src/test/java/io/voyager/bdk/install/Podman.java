package io.voyager.bdk.install;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Debian's podman with runc, as this machine runs containers (GUIDE: crun fails on this kernel's
 * hybrid cgroups; cgroupfs, no systemd), on a storage of its own so tests never touch, nor see,
 * anyone else's images and containers.
 */
final class Podman implements AutoCloseable {
  static final Duration TIMEOUT = Duration.ofMinutes(3);
  private final Path dir;

  Podman(Path dir) throws IOException {
    this.dir = Files.createDirectories(dir);
  }

  Command run(Object... args) {
    return Command.run(TIMEOUT, Command.args("podman",
        "--root", dir.resolve("storage"), "--runroot", dir.resolve("run"), "--tmpdir", dir.resolve("tmp"),
        "--runtime", "runc", "--cgroup-manager=cgroupfs", "--events-backend=none", List.of(args)));
  }

  /** The container's process id on this host (its /proc shows what the kernel enforces). */
  long pid(String container) {
    return Long.parseLong(run("inspect", "--format", "{{.State.Pid}}", container).ok().stdout().trim());
  }

  int exitCode(String container) {
    return Integer.parseInt(run("inspect", "--format", "{{.State.ExitCode}}", container).ok().stdout().trim());
  }

  String logs(String container) {
    Command logs = run("logs", container).ok();
    return logs.stdout() + logs.stderr();
  }

  @Override
  public void close() {
    run("rm", "--all", "--force", "--time", "0");
    run("rmi", "--all", "--force");
  }
}

package io.voyager.bdk.install;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a program to completion (with a deadline) and keeps what it printed. */
record Command(List<String> argv, int exitCode, String stdout, String stderr) {

  static Command run(Duration timeout, List<String> argv) {
    return run(timeout, argv, null);
  }

  static Command run(Duration timeout, List<String> argv, String stdin) {
    try {
      Path out = Files.createTempFile("cmd", ".out");
      Path err = Files.createTempFile("cmd", ".err");
      try {
        ProcessBuilder builder = new ProcessBuilder(argv)
            .redirectOutput(out.toFile()).redirectError(err.toFile());
        if (stdin == null) {
          builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        Process process = builder.start();
        if (stdin != null) {
          try (var in = process.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
          }
        }
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
          throw new IllegalStateException("timed out after " + timeout + ": " + String.join(" ", argv)
              + "\nstderr: " + Files.readString(err));
        }
        return new Command(List.copyOf(argv), process.exitValue(), Files.readString(out), Files.readString(err));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + argv.get(0), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static Command run(Duration timeout, String... argv) {
    return run(timeout, List.of(argv));
  }

  /** This command, which must have exited 0. */
  Command ok() {
    if (exitCode != 0) {
      throw new AssertionError("exit " + exitCode + ": " + String.join(" ", argv) + "\nstdout: " + stdout
          + "\nstderr: " + stderr);
    }
    return this;
  }

  static boolean onPath(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }

  static List<String> args(Object... parts) {
    List<String> out = new ArrayList<>();
    for (Object part : parts) {
      if (part instanceof List<?> list) {
        list.forEach(p -> out.add(String.valueOf(p)));
      } else {
        out.add(String.valueOf(part));
      }
    }
    return out;
  }
}

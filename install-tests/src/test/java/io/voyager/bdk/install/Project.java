package io.voyager.bdk.install;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Where things are: the repository, the built images, the real kube-apiserver's binaries. */
final class Project {
  private Project() {}

  static Path root() {
    String property = System.getProperty("project.root");
    if (property != null && !property.isBlank()) {
      return Path.of(property).toAbsolutePath().normalize();
    }
    Path cwd = Path.of("").toAbsolutePath();
    return Files.isDirectory(cwd.resolve("k8s")) ? cwd : cwd.getParent();
  }

  /** target/images (what mvn -Pimages / make images wrote). */
  static Path imagesDir() {
    String property = System.getProperty("bdk.images.dir");
    return property != null && !property.isBlank() ? Path.of(property) : root().resolve("target/images");
  }

  /** True when this build made the images (profile images): otherwise they may be stale or absent. */
  static boolean imagesBuilt() {
    return Boolean.getBoolean("bdk.images.built");
  }

  static Path kubeApiTestDir() {
    String dir = System.getenv("KUBE_API_TEST_DIR");
    return dir == null || dir.isBlank()
        ? Path.of(System.getProperty("user.home"), ".cache", "bdk", "kube-api-test")
        : Path.of(dir);
  }

  /** The newest k8s/&lt;version&gt;-linux-amd64 holding kube-apiserver, etcd and kubectl. */
  static Path kubeBinDir() {
    Path k8s = kubeApiTestDir().resolve("k8s");
    try (Stream<Path> dirs = Files.isDirectory(k8s) ? Files.list(k8s) : Stream.empty()) {
      return dirs
          .filter(d -> d.getFileName().toString().endsWith("-linux-amd64"))
          .filter(d -> Stream.of("kube-apiserver", "etcd", "kubectl").allMatch(b -> Files.isExecutable(d.resolve(b))))
          .max(Comparator.comparing(Project::versionKey))
          .orElseThrow(() -> new IllegalStateException("No kube-apiserver/etcd/kubectl under " + k8s
              + "/<version>-linux-amd64: run k8s/test-apiserver/build.sh (make kube-apiserver)"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String kubeVersion() {
    String name = kubeBinDir().getFileName().toString();
    return name.substring(0, name.length() - "-linux-amd64".length());
  }

  static Path kubectl() {
    return kubeBinDir().resolve("kubectl");
  }

  private static String versionKey(Path dir) {
    String version = dir.getFileName().toString().replace("-linux-amd64", "");
    StringBuilder key = new StringBuilder();
    for (String part : version.split("\\.")) {
      key.append(String.format("%08d", Integer.parseInt(part.replaceAll("\\D.*", "0"))));
    }
    return key.toString();
  }
}

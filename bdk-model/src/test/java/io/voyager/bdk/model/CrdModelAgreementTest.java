package io.voyager.bdk.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CRDs in k8s/crds are generated from this module's Java model at build time; these tests
 * prove the committed YAML is exactly what the model generates, and that the seeds' own examples
 * read into the model without losing a field and validate against the CRD schemas.
 */
class CrdModelAgreementTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();

  static Stream<Arguments> crds() {
    return Stream.of(
        Arguments.of("bookdefinitions.bdk.voyager.io", BookDefinition.class, "bookdefinition.yaml"),
        Arguments.of(
            "bookinstancedefinitions.bdk.voyager.io",
            BookInstanceDefinition.class,
            "bookinstancedefinition.yaml"),
        Arguments.of(
            "externalbookdefinitions.books.voyager.io",
            ExternalBookDefinition.class,
            "externalbookdefinition.yaml"),
        Arguments.of("organizations.bdk.voyager.io", Organization.class, "organization.yaml"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("crds")
  void committedCrdIsWhatTheModelGenerates(String crdName, Class<?> type, String example)
      throws IOException {
    Path committed = projectRoot().resolve("k8s/crds/" + crdName + ".yaml");
    JsonNode generated = YAML.readTree(resource("META-INF/fabric8/" + crdName + "-v1.yml"));
    assertThat(YAML.readTree(committed.toFile()))
        .as(
            "%s is out of date with the Java model: copy bdk-model/target/classes/META-INF/fabric8/%s-v1.yml over it",
            committed, crdName)
        .isEqualTo(generated);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("crds")
  void seedExampleReadsIntoTheModelWithoutLosingAField(
      String crdName, Class<? extends CustomResource<?, ?>> type, String example) throws IOException {
    JsonNode original = YAML.readTree(resource("seed-examples/" + example));
    CustomResource<?, ?> parsed = Serialization.unmarshal(JSON.writeValueAsString(original), type);

    assertThat(parsed.getSpec()).isNotNull();
    assertThat(parsed.getStatus() != null).isEqualTo(original.has("status"));
    JsonNode roundTripped = JSON.readTree(Serialization.asJson(parsed));
    assertThat(roundTripped.get("spec")).isEqualTo(original.get("spec"));
    assertThat(roundTripped.get("status")).isEqualTo(original.get("status"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("crds")
  void seedExampleValidatesAgainstTheCrdSchema(String crdName, Class<?> type, String example)
      throws IOException {
    JsonNode schema =
        YAML.readTree(projectRoot().resolve("k8s/crds/" + crdName + ".yaml").toFile())
            .at("/spec/versions/0/schema/openAPIV3Schema");
    JsonNode instance = YAML.readTree(resource("seed-examples/" + example));
    List<String> problems = new ArrayList<>();
    for (String part : List.of("spec", "status")) {
      if (!instance.has(part)) {
        continue;
      }
      validate(instance.get(part), schema.at("/properties/" + part), part, problems);
    }
    assertThat(problems).isEmpty();
  }

  @org.junit.jupiter.api.Test
  void schemaRefusesWhatTheModelRefuses() throws IOException {
    JsonNode schema =
        YAML.readTree(projectRoot().resolve("k8s/crds/bookdefinitions.bdk.voyager.io.yaml").toFile())
            .at("/spec/versions/0/schema/openAPIV3Schema/properties/spec");
    JsonNode bad = JSON.readTree("{\"name\":\"Customer Support\",\"version\":\"1.0\"}");
    List<String> problems = new ArrayList<>();
    validate(bad, schema, "spec", problems);
    assertThat(problems)
        .anySatisfy(p -> assertThat(p).startsWith("spec.name"))
        .anySatisfy(p -> assertThat(p).startsWith("spec.version"));
  }

  /** A small structural-schema check: types, required fields, patterns, unknown fields. */
  private static void validate(JsonNode value, JsonNode schema, String path, List<String> problems) {
    if (schema == null || schema.isMissingNode()) {
      problems.add(path + ": not in the schema (an API server would prune it)");
      return;
    }
    String type = schema.path("type").asText("");
    boolean preserve = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
    switch (type) {
      case "object" -> {
        if (!value.isObject()) {
          problems.add(path + ": expected object");
          return;
        }
        for (JsonNode required : schema.path("required")) {
          if (!value.has(required.asText())) {
            problems.add(path + "." + required.asText() + ": required");
          }
        }
        Iterator<Map.Entry<String, JsonNode>> fields = value.fields();
        while (fields.hasNext()) {
          Map.Entry<String, JsonNode> field = fields.next();
          JsonNode fieldSchema = schema.path("properties").path(field.getKey());
          if (fieldSchema.isMissingNode() && schema.has("additionalProperties")) {
            fieldSchema = schema.get("additionalProperties");
          }
          if (fieldSchema.isMissingNode() && preserve) {
            continue;
          }
          validate(field.getValue(), fieldSchema, path + "." + field.getKey(), problems);
        }
      }
      case "array" -> {
        if (!value.isArray()) {
          problems.add(path + ": expected array");
          return;
        }
        for (int i = 0; i < value.size(); i++) {
          validate(value.get(i), schema.path("items"), path + "[" + i + "]", problems);
        }
      }
      case "string" -> {
        if (!value.isTextual()) {
          problems.add(path + ": expected string");
        } else if (schema.has("pattern")
            && !Pattern.compile(schema.get("pattern").asText()).matcher(value.asText()).find()) {
          problems.add(path + ": does not match " + schema.get("pattern").asText());
        }
      }
      case "integer" -> {
        if (!value.isIntegralNumber()) {
          problems.add(path + ": expected integer");
        }
      }
      case "number" -> {
        if (!value.isNumber()) {
          problems.add(path + ": expected number");
        }
      }
      case "boolean" -> {
        if (!value.isBoolean()) {
          problems.add(path + ": expected boolean");
        }
      }
      default -> {
        if (!preserve) {
          problems.add(path + ": schema has no type");
        }
      }
    }
  }

  private static InputStream resource(String name) {
    InputStream in = CrdModelAgreementTest.class.getClassLoader().getResourceAsStream(name);
    assertThat(in).as("classpath resource %s", name).isNotNull();
    return in;
  }

  private static Path projectRoot() {
    String root = System.getProperty("project.root");
    Path path = root != null ? Path.of(root) : Path.of("..").toAbsolutePath().normalize();
    assertThat(Files.isDirectory(path.resolve("k8s/crds"))).as("project root %s", path).isTrue();
    return path;
  }
}

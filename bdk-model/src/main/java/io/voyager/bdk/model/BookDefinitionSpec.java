package io.voyager.bdk.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Required;
import java.util.List;
import java.util.Map;

/** Spec of a {@link BookDefinition}, field for field as in the BDK seed. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record BookDefinitionSpec(
    @Required @Pattern(BookDefinitionSpec.NAME_PATTERN) String name,
    @Required @Pattern(BookDefinitionSpec.SEMVER_PATTERN) String version,
    String description,
    Schema schema,
    List<String> capabilities,
    Runtime runtime,
    List<Integration> integrations) {

  /** A DNS-1123 label. */
  public static final String NAME_PATTERN = DnsNames.LABEL_PATTERN;

  /** Semantic Versioning 2.0.0 (semver.org's recommended expression). */
  public static final String SEMVER_PATTERN =
      "^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)"
          + "(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
          + "(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$";

  /** Inputs and outputs a book accepts and produces. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Schema(List<Field> inputs, List<Field> outputs) {}

  /** One input or output. {@code schema} is free-form, as in the seed's {@code resolution} output. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Field(
      @Required String name,
      @Required String type,
      Boolean required,
      String description,
      @com.fasterxml.jackson.annotation.JsonProperty("enum") List<String> enumValues,
      @PreserveUnknownFields @SchemaFrom(type = FreeFormObject.class) Map<String, Object> schema) {}

  /** Language runtime the book runs on; the controller maps it to an image. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Runtime(@Required String language, String version, List<String> requirements) {}

  /** An integration the book supports: {@code webhook} (the gateway routes events to it) or {@code api}. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Integration(
      @Required String name, @Required String type, @PreserveUnknownFields @SchemaFrom(type = FreeFormObject.class) Map<String, Object> config) {}
}

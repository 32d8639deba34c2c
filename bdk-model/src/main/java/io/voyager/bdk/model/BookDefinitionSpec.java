package io.voyager.bdk.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Required;
import java.util.List;
import java.util.Map;

/** Spec of a {@link BookDefinition}, field for field as in the BDK seed. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record BookDefinitionSpec(
    @Required String name,
    @Required String version,
    String description,
    Schema schema,
    List<String> capabilities,
    Runtime runtime,
    List<Integration> integrations) {

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
      Map<String, Object> schema) {}

  /** Language runtime the book runs on; the controller maps it to an image. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Runtime(@Required String language, String version, List<String> requirements) {}

  /** An integration the book supports: {@code webhook} (the gateway routes events to it) or {@code api}. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Integration(@Required String name, @Required String type, Map<String, Object> config) {}
}

package io.voyager.bdk.support.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchFiguresTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void writesOneJsonObjectPerLineInFormatOne(@TempDir Path dir) throws Exception {
    try (BenchFigures figures = BenchFigures.open("scale", "Translator \"scale\"", dir)) {
      assertThat(figures.recording()).isTrue();
      figures.note("10,000 books\tover 1,000 namespaces");
      figures.figure("scale.one_change.total_ms.p99", Map.of("books", "10000"), "one change, p99", 3.25, "ms",
          BenchFigures.Target.below(10));
      figures.figure("scale.routes", "routes", 30003, "routes");
      figures.text("a | b\n1 | 2\n");
    }
    List<String> lines = Files.readAllLines(dir.resolve("scale.jsonl"), StandardCharsets.UTF_8);
    assertThat(lines).hasSize(5);
    List<JsonNode> parsed = lines.stream().map(BenchFiguresTest::parse).toList();
    assertThat(parsed).allSatisfy(n -> {
      assertThat(n.get("v").asInt()).isEqualTo(1);
      assertThat(n.get("benchmark").asText()).isEqualTo("scale");
    });
    assertThat(parsed.get(0).get("kind").asText()).isEqualTo("run");
    assertThat(parsed.get(0).get("title").asText()).isEqualTo("Translator \"scale\"");
    assertThat(parsed.get(1).get("text").asText()).isEqualTo("10,000 books\tover 1,000 namespaces");
    JsonNode figure = parsed.get(2);
    assertThat(figure.get("id").asText()).isEqualTo("scale.one_change.total_ms.p99");
    assertThat(figure.get("labels").get("books").asText()).isEqualTo("10000");
    assertThat(figure.get("value").asDouble()).isEqualTo(3.25);
    assertThat(figure.get("target").get("op").asText()).isEqualTo("<");
    assertThat(figure.get("target").get("value").asDouble()).isEqualTo(10);
    assertThat(parsed.get(3).get("value").isIntegralNumber()).isTrue();
    assertThat(parsed.get(3).has("labels")).isFalse();
    assertThat(parsed.get(4).get("text").asText()).isEqualTo("a | b\n1 | 2\n");
  }

  @Test
  void withoutADirectoryRecordsNothingButStillChecksArguments(@TempDir Path dir) {
    BenchFigures figures = BenchFigures.open("scale", "t", null);
    assertThat(figures.recording()).isFalse();
    figures.figure("a.b", "x", 1, "ms");
    assertThatThrownBy(() -> figures.figure("Bad Id", "x", 1, "ms"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("figure id");
    assertThatThrownBy(() -> figures.figure("a.b", "x", Double.NaN, "ms"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("finite");
  }

  @Test
  void targetsSayWhetherAValueMeetsThem() {
    assertThat(BenchFigures.Target.below(10).metBy(9.9)).isTrue();
    assertThat(BenchFigures.Target.below(10).metBy(10)).isFalse();
    assertThat(BenchFigures.Target.atLeast(70).metBy(70)).isTrue();
    assertThat(BenchFigures.Target.exactly(0).metBy(1)).isFalse();
    assertThatThrownBy(() -> new BenchFigures.Target("~", 1)).hasMessageContaining("one of");
  }

  private static JsonNode parse(String line) {
    try {
      return JSON.readTree(line);
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + line, e);
    }
  }
}

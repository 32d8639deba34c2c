package io.voyager.bdk.xds.translate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.voyager.bdk.xds.admin.SnapshotJson;
import io.voyager.bdk.xds.ir.BookTranslation;
import io.voyager.bdk.xds.ir.WebhookRouteIr;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden files of the whole translation (model → IR → xDS), in the style of Envoy Gateway's
 * {@code internal/xds/translator} tests: each {@code translator/in/<case>.yaml} (the gateway's
 * settings and the Kubernetes objects it watches) must translate to exactly
 * {@code translator/out/<case>.<kind>.json}: the listeners, route configurations, clusters, load
 * assignments and SDS secrets as Envoy JSON with every {@code Any} expanded (the
 * {@link SnapshotJson#TYPE_REGISTRY} the admin endpoint uses: a type missing there fails here),
 * and what happened to each book.
 *
 * <p>Regenerate after an intended change with {@code mvn -pl xds-server test
 * -Dtest=TranslatorGoldenTest -Dbdk.golden.update=true}, then review the diff. The properties no
 * single output shows (determinism, incremental translation, content versions) have their own
 * tests ({@link GatewayTranslatorTest}, {@link IncrementalTranslatorTest}, the version tests).
 */
class TranslatorGoldenTest {
  static final boolean UPDATE = Boolean.getBoolean("bdk.golden.update");
  static final Path OUT = TranslatorCase.DIR.resolve("out");

  /** The kinds of output, in file-name order: what each case's outputs are named after. */
  static final List<String> KINDS = List.of("listeners", "routes", "scoped_routes", "clusters", "endpoints", "secrets", "books");

  private static final JsonFormat.Printer PRINTER = JsonFormat.printer()
      .usingTypeRegistry(SnapshotJson.TYPE_REGISTRY)
      .preservingProtoFieldNames()
      .sortingMapKeys();
  private static final ObjectMapper JSON = new ObjectMapper();

  static Stream<TranslatorCase> cases() {
    return TranslatorCase.all().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void translationMatchesTheGoldenFiles(TranslatorCase golden) {
    Translation translation = new GatewayTranslator(new XdsTranslator(golden.input().settings().transcoder(), golden.routeLayout()))
        .translate(golden.input());
    Map<String, String> outputs = outputs(translation);
    for (Map.Entry<String, String> output : outputs.entrySet()) {
      Path file = OUT.resolve(golden.name() + "." + output.getKey() + ".json");
      if (UPDATE) {
        write(file, output.getValue());
      }
      assertThat(Files.exists(file)).as("%s is missing: run with -Dbdk.golden.update=true", file).isTrue();
      assertThat(output.getValue())
          .as("%s differs from the translation (rerun with -Dbdk.golden.update=true after checking the change)", file)
          .isEqualTo(TranslatorCase.read(file));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void theIncrementalTranslatorGivesTheSameOutputs(TranslatorCase golden) {
    XdsTranslator xds = new XdsTranslator(golden.input().settings().transcoder(), golden.routeLayout());
    Translation full = new GatewayTranslator(xds).translate(golden.input());
    IncrementalTranslator incremental = new IncrementalTranslator(xds);
    assertThat(outputs(incremental.translate(golden.input()))).isEqualTo(outputs(full));
    assertThat(outputs(incremental.translate(golden.input()))).as("from warm caches").isEqualTo(outputs(full));
  }

  /** Every file under out/ belongs to a case and a kind: nothing stale is left behind. */
  @Test
  void everyGoldenFileBelongsToACase() throws IOException {
    TreeSet<String> expected = new TreeSet<>();
    cases().forEach(c -> KINDS.forEach(k -> expected.add(c.name() + "." + k + ".json")));
    TreeSet<String> present = new TreeSet<>();
    try (Stream<Path> files = Files.list(OUT)) {
      files.forEach(f -> present.add(f.getFileName().toString()));
    }
    if (UPDATE) { // the cases' own tests write the files (in any order): only remove what no case writes
      for (String stale : present) {
        if (!expected.contains(stale)) {
          Files.delete(OUT.resolve(stale));
        }
      }
      return;
    }
    assertThat(present).as("files in %s (stale ones go with -Dbdk.golden.update=true)", OUT).isEqualTo(expected);
  }

  static Map<String, String> outputs(Translation translation) {
    XdsResources r = translation.resources();
    Map<String, String> out = new LinkedHashMap<>();
    out.put("listeners", json(r.listeners()));
    out.put("routes", json(r.routes()));
    out.put("scoped_routes", json(r.scopedRoutes()));
    out.put("clusters", json(r.clusters()));
    out.put("endpoints", json(r.endpoints()));
    out.put("secrets", json(r.secrets()));
    out.put("books", books(translation.books()));
    assertThat(out.keySet()).containsExactlyElementsOf(KINDS);
    return out;
  }

  private static String json(List<? extends Message> resources) {
    if (resources.isEmpty()) {
      return "[]\n";
    }
    StringBuilder out = new StringBuilder("[\n");
    for (int i = 0; i < resources.size(); i++) {
      try {
        out.append(withoutDescriptorBytes(PRINTER.print(resources.get(i))));
      } catch (InvalidProtocolBufferException e) {
        throw new AssertionError("cannot print " + resources.get(i).getDescriptorForType().getFullName()
            + " as JSON (an Any of a type missing from SnapshotJson.TYPE_REGISTRY?): " + e.getMessage(), e);
      }
      out.append(i < resources.size() - 1 ? ",\n" : "\n");
    }
    return out.append("]\n").toString();
  }

  private static final Pattern DESCRIPTOR_BIN =
      Pattern.compile("\"proto_descriptor_bin\": \"([A-Za-z0-9+/=]*)\"");

  /**
   * The transcoder's descriptor set (the library's protos, a build output of its own) as its size
   * and SHA-256 instead of ~100 KB of base64 in every listener: a change still shows.
   */
  static String withoutDescriptorBytes(String json) {
    Matcher m = DESCRIPTOR_BIN.matcher(json);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      byte[] bytes = Base64.getDecoder().decode(m.group(1));
      String digest;
      try {
        digest = HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
      m.appendReplacement(out, Matcher.quoteReplacement(
          "\"proto_descriptor_bin\": \"<" + bytes.length + " bytes, sha256 " + digest + ">\""));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** Per book: accepted (its Service and webhook paths), rejected or held out (why). */
  private static String books(List<BookTranslation> books) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (BookTranslation book : books) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("book", book.namespace() + "/" + book.name());
      if (book instanceof BookTranslation.Accepted a) {
        row.put("result", "accepted");
        row.put("service", a.backend().toString());
        row.put("webhook_paths", a.routes().stream().map(WebhookRouteIr::path).toList());
      } else if (book instanceof BookTranslation.Rejected r) {
        row.put("result", "rejected");
        row.put("reason", r.reason());
      } else if (book instanceof BookTranslation.HeldOut h) {
        row.put("result", "held_out");
        row.put("reason", h.reason());
      }
      rows.add(row);
    }
    try {
      DefaultPrettyPrinter pretty = new DefaultPrettyPrinter().withArrayIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE);
      return JSON.writer(pretty).writeValueAsString(rows).replace("\r\n", "\n") + "\n";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void write(Path file, String content) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

package io.voyager.bdk.support.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The figures one benchmark reports for {@code BENCHMARKS.md}, which {@code bench/report.py}
 * renders from every benchmark's file ({@code make bench}, {@code make bench-report}).
 *
 * <p>When the environment variable {@value #DIRECTORY_ENV} (or the system property
 * {@value #DIRECTORY_PROPERTY}) names a directory, {@link #open} truncates
 * {@code <dir>/<benchmark>.jsonl} and every call appends one JSON object as one line, flushed at
 * once (a benchmark that dies midway leaves what it measured). Without it nothing is written: the
 * benchmark only prints, as before. The format ({@value #FORMAT_VERSION}, documented in
 * {@code bench/README.md}) is the contract between benchmarks and the report:
 * <pre>
 * {"v":1,"kind":"run","benchmark":"scale","title":"…","started":"2026-…Z"}
 * {"v":1,"kind":"note","benchmark":"scale","text":"10,000 books over 1,000 namespaces"}
 * {"v":1,"kind":"figure","benchmark":"scale","id":"scale.one_change.total_ms.p99","labels":{"books":"10000"},
 *  "label":"one book's change: translate + version, p99","value":3.1,"unit":"ms","target":{"op":"&lt;","value":10}}
 * {"v":1,"kind":"text","benchmark":"scale","text":"the table the benchmark printed"}
 * </pre>
 * A figure's {@code id} is stable across runs and code changes (the report's issue table finds
 * figures by id and labels); {@code label} is what a reader sees. Not thread-safe.
 */
public final class BenchFigures implements AutoCloseable {
  public static final String DIRECTORY_ENV = "BDK_BENCH_DIR";
  public static final String DIRECTORY_PROPERTY = "bdk.bench.dir";
  public static final int FORMAT_VERSION = 1;
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]*");

  /** A target a figure should meet: {@code value op target}, e.g. {@code < 250}. */
  public record Target(String op, double value) {
    public Target {
      if (!Set.of("<", "<=", ">", ">=", "==").contains(op)) {
        throw new IllegalArgumentException("target op: one of < <= > >= ==, got '" + op + "'");
      }
    }

    public static Target below(double value) {
      return new Target("<", value);
    }

    public static Target atMost(double value) {
      return new Target("<=", value);
    }

    public static Target atLeast(double value) {
      return new Target(">=", value);
    }

    public static Target exactly(double value) {
      return new Target("==", value);
    }

    /** Whether {@code measured} meets this target. */
    public boolean metBy(double measured) {
      return switch (op) {
        case "<" -> measured < value;
        case "<=" -> measured <= value;
        case ">" -> measured > value;
        case ">=" -> measured >= value;
        default -> measured == value;
      };
    }
  }

  private final String benchmark;
  private final Writer out; // null: not recording

  private BenchFigures(String benchmark, Writer out) {
    this.benchmark = benchmark;
    this.out = out;
  }

  /**
   * Starts {@code benchmark}'s figures (a lowercase name, the file's name too) under the directory
   * the environment names, or a no-op recorder when it names none.
   */
  public static BenchFigures open(String benchmark, String title) {
    String dir = System.getProperty(DIRECTORY_PROPERTY);
    if (dir == null || dir.isBlank()) {
      dir = System.getenv(DIRECTORY_ENV);
    }
    return open(benchmark, title, dir == null || dir.isBlank() ? null : Path.of(dir));
  }

  /** As {@link #open(String, String)}, into {@code directory} (null: record nothing). */
  public static BenchFigures open(String benchmark, String title, Path directory) {
    requireName(benchmark, "benchmark");
    Objects.requireNonNull(title, "title");
    Writer writer = null;
    if (directory != null) {
      try {
        Files.createDirectories(directory);
        writer = Files.newBufferedWriter(directory.resolve(benchmark + ".jsonl"), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException("bench figures: cannot write into " + directory + ": " + e.getMessage(), e);
      }
    }
    BenchFigures figures = new BenchFigures(benchmark, writer);
    figures.write(figures.line("run").string("title", title).string("started", Instant.now().toString()));
    return figures;
  }

  /** Whether figures go to a file (else calls only validate their arguments). */
  public boolean recording() {
    return out != null;
  }

  /** A figure without labels or target. */
  public BenchFigures figure(String id, String label, double value, String unit) {
    return figure(id, Map.of(), label, value, unit, null);
  }

  /** A figure with a target, without labels. */
  public BenchFigures figure(String id, String label, double value, String unit, Target target) {
    return figure(id, Map.of(), label, value, unit, target);
  }

  /**
   * One measured figure. {@code labels} tell figures of the same id apart (e.g. {@code books},
   * {@code envoys}); {@code target} may be null. NaN and infinities are refused: a benchmark that
   * could not measure says so in a {@link #note}.
   */
  public BenchFigures figure(String id, Map<String, String> labels, String label, double value, String unit, Target target) {
    requireName(id, "figure id");
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(unit, "unit");
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      throw new IllegalArgumentException("figure " + id + ": value must be a finite number, got " + value);
    }
    JsonLine line = line("figure").string("id", id);
    if (!labels.isEmpty()) {
      StringBuilder object = new StringBuilder("{");
      new TreeMap<>(labels).forEach((k, v) -> {
        requireName(k, "label name");
        if (object.length() > 1) {
          object.append(',');
        }
        object.append(quote(k)).append(':').append(quote(v));
      });
      line.raw("labels", object.append('}').toString());
    }
    line.string("label", label).number("value", value).string("unit", unit);
    if (target != null) {
      line.raw("target", "{\"op\":" + quote(target.op()) + ",\"value\":" + number(target.value()) + "}");
    }
    write(line);
    return this;
  }

  /** A line about the run: parameters, conditions, what could not be measured. */
  public BenchFigures note(String text) {
    write(line("note").string("text", text));
    return this;
  }

  /** A block the benchmark printed, kept verbatim in the report. */
  public BenchFigures text(String block) {
    write(line("text").string("text", block));
    return this;
  }

  @Override
  public void close() {
    if (out != null) {
      try {
        out.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private JsonLine line(String kind) {
    return new JsonLine().number("v", FORMAT_VERSION).string("kind", kind).string("benchmark", benchmark);
  }

  private void write(JsonLine line) {
    if (out == null) {
      return;
    }
    try {
      out.write(line.toString());
      out.write('\n');
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("bench figures: " + e.getMessage(), e);
    }
  }

  private static void requireName(String name, String what) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(what + ": lowercase letters, digits, '_', '.', '-', got '" + name + "'");
    }
  }

  /** One JSON object, fields in insertion order. */
  private static final class JsonLine {
    private final StringBuilder json = new StringBuilder("{");

    JsonLine string(String key, String value) {
      return raw(key, quote(value));
    }

    JsonLine number(String key, double value) {
      return raw(key, BenchFigures.number(value));
    }

    JsonLine raw(String key, String json) {
      if (this.json.length() > 1) {
        this.json.append(',');
      }
      this.json.append(quote(key)).append(':').append(json);
      return this;
    }

    @Override
    public String toString() {
      return json + "}";
    }
  }

  /** Integers without a fraction, others as Java's shortest round-tripping decimal. */
  static String number(double value) {
    if (value == Math.rint(value) && Math.abs(value) < 1e15) {
      return String.valueOf((long) value);
    }
    return String.format(Locale.ROOT, "%s", value);
  }

  static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}

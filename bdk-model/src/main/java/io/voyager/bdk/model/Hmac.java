package io.voyager.bdk.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.generator.annotation.Pattern;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Options of the generic HMAC scheme: {@code algorithm} sha1|sha256|sha512, the signature
 * {@code header}, an optional {@code prefix} before the digest (e.g. {@code sha256=}),
 * {@code encoding} hex|base64, and what is signed, {@code payload}: {@code body} or
 * {@code timestamp.body} with the timestamp read from {@code timestamp_header}.
 *
 * <p>The one home of these rules: the CRD schemas (the patterns below), the library's request
 * validation, the xds-server's translation and ext-authz's route parsing all use {@link #problems}
 * or the sets here, so a value one accepts the others accept. Values are exact (lowercase); an
 * absent value means the default ({@value #DEFAULT_HEADER}, {@value #DEFAULT_ALGORITHM},
 * {@value #DEFAULT_ENCODING}, {@value #DEFAULT_PAYLOAD}). {@code header} and
 * {@code timestamp_header}, when given, must be HTTP header names (RFC 9110 tokens).
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Hmac(
    @Pattern(ALGORITHM_PATTERN) String algorithm,
    @Pattern(HEADER_NAME_PATTERN) String header,
    String prefix,
    @Pattern(ENCODING_PATTERN) String encoding,
    @Pattern(PAYLOAD_PATTERN) String payload,
    @JsonProperty("timestamp_header") @Pattern(HEADER_NAME_PATTERN) String timestampHeader) {

  public static final Set<String> ALGORITHMS = Set.of("sha1", "sha256", "sha512");
  public static final Set<String> ENCODINGS = Set.of("hex", "base64");
  public static final Set<String> PAYLOADS = Set.of("body", "timestamp.body");
  /** The signature header when none is given — the library, the xds-server and ext-authz agree on it. */
  public static final String DEFAULT_HEADER = "X-Signature";
  public static final String DEFAULT_ALGORITHM = "sha256";
  public static final String DEFAULT_ENCODING = "hex";
  public static final String DEFAULT_PAYLOAD = "body";
  public static final String TIMESTAMPED_PAYLOAD = "timestamp.body";

  /** {@link #ALGORITHMS} as the CRD schema's pattern (a test keeps the two equal). */
  public static final String ALGORITHM_PATTERN = "^(sha1|sha256|sha512)$";
  public static final String ENCODING_PATTERN = "^(hex|base64)$";
  public static final String PAYLOAD_PATTERN = "^(body|timestamp\\.body)$";
  /** An HTTP header name (RFC 9110 token), at most 256 characters: {@code header} and {@code timestamp_header}. */
  public static final String HEADER_NAME_PATTERN = "^[-!#$%&'*+.^_`|~0-9A-Za-z]{1,256}$";

  /** One problem with an option: the field (relative, e.g. {@code algorithm}) and why. */
  public record Problem(String field, String message) {}

  /**
   * What is wrong with these options, each naming its field ({@code algorithm}, {@code encoding},
   * {@code payload}, {@code timestamp_header}); empty when they are usable. Absent (null) values
   * take the defaults; an empty string is refused, as the CRD schema's pattern refuses it. An
   * absent {@code header} is {@value #DEFAULT_HEADER}; a given one must be a header name.
   */
  public static List<Problem> problems(Hmac hmac) {
    List<Problem> problems = new ArrayList<>();
    if (hmac == null) {
      return problems;
    }
    oneOf("algorithm", hmac.algorithm(), ALGORITHMS, problems);
    oneOf("encoding", hmac.encoding(), ENCODINGS, problems);
    oneOf("payload", hmac.payload(), PAYLOADS, problems);
    headerName("header", hmac.header(), problems);
    headerName("timestamp_header", hmac.timestampHeader(), problems);
    if (TIMESTAMPED_PAYLOAD.equals(hmac.payload()) && blank(hmac.timestampHeader())) {
      problems.add(new Problem("timestamp_header", "is required when payload is " + TIMESTAMPED_PAYLOAD));
    }
    return problems;
  }

  private static void oneOf(String field, String value, Set<String> allowed, List<Problem> problems) {
    if (value != null && !allowed.contains(value)) {
      problems.add(new Problem(field, "must be one of " + String.join(", ", new TreeSet<>(allowed)) + "; got '"
          + (value.length() > 64 ? value.substring(0, 64) + "…" : value) + "'"));
    }
  }

  private static final java.util.regex.Pattern HEADER_NAME = java.util.regex.Pattern.compile(HEADER_NAME_PATTERN);

  /** Absent (null) is the default; anything else, the empty string included, must be a header name. */
  private static void headerName(String field, String value, List<Problem> problems) {
    if (value != null && !HEADER_NAME.matcher(value).matches()) {
      problems.add(new Problem(field, "must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~, at most 256)"));
    }
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}

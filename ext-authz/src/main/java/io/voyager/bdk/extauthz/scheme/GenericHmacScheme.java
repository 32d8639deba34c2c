package io.voyager.bdk.extauthz.scheme;

import io.voyager.bdk.model.Hmac;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Any provider that signs with an HMAC in one header ({@link Hmac}'s rules): algorithm sha1|sha256|sha512, the header,
 * an optional prefix before the digest, hex or base64, and what is signed: the body, or
 * {@code timestamp + "." + body} with the timestamp (Unix seconds, checked against the tolerance)
 * from another header. There is no delivery id: replay protection keys on the verified signature.
 */
public final class GenericHmacScheme implements WebhookScheme {

  /** The scheme's options; {@link #parse} validates them and names the bad key. */
  public record Options(String algorithm, String header, String prefix, boolean base64, boolean timestamped, String timestampHeader) {
    public static final String DEFAULT_HEADER = Hmac.DEFAULT_HEADER;

    /**
     * Options from context_extensions-style keys (algorithm, header, prefix, encoding, payload,
     * timestamp_header), each optional with defaults sha256, X-Signature, "", hex, body.
     */
    public static Options parse(String algorithm, String header, String prefix, String encoding, String payload, String timestampHeader) {
      Hmac given = new Hmac(present(algorithm), present(header), prefix, present(encoding), present(payload), present(timestampHeader));
      List<Hmac.Problem> problems = Hmac.problems(given);
      if (!problems.isEmpty()) {
        // The model's rule (the xds-server's and the library's too), keyed as in context_extensions.
        throw new IllegalArgumentException(String.join("; ",
            problems.stream().map(p -> "hmac_" + p.field() + " " + p.message()).toList()));
      }
      String alg = switch (orDefault(algorithm, Hmac.DEFAULT_ALGORITHM)) {
        case "sha1" -> Hmacs.SHA1;
        case "sha512" -> Hmacs.SHA512;
        default -> Hmacs.SHA256;
      };
      boolean b64 = orDefault(encoding, Hmac.DEFAULT_ENCODING).equals("base64");
      boolean timestamped = orDefault(payload, Hmac.DEFAULT_PAYLOAD).equals(Hmac.TIMESTAMPED_PAYLOAD);
      return new Options(alg, orDefault(header, DEFAULT_HEADER), prefix == null ? "" : prefix, b64, timestamped,
          timestamped ? timestampHeader : null);
    }

    private static String present(String value) {
      return value == null || value.isBlank() ? null : value.trim();
    }

    private static String orDefault(String value, String fallback) {
      return value == null || value.isBlank() ? fallback : value.trim();
    }
  }

  private final Options options;

  public GenericHmacScheme(Options options) {
    this.options = options;
  }

  /** Options read from a map keyed like context_extensions ({@code hmac_algorithm}, …). */
  public static GenericHmacScheme fromKeys(Map<String, String> keys) {
    return new GenericHmacScheme(Options.parse(keys.get("hmac_algorithm"), keys.get("hmac_header"), keys.get("hmac_prefix"),
        keys.get("hmac_encoding"), keys.get("hmac_payload"), keys.get("hmac_timestamp_header")));
  }

  public Options options() {
    return options;
  }

  @Override
  public String name() {
    return "hmac";
  }

  @Override
  public List<Header> sign(SigningInput in) {
    List<Header> headers = new ArrayList<>();
    byte[] mac;
    if (options.timestamped()) {
      String ts = Long.toString(in.timestamp().getEpochSecond());
      headers.add(new Header(options.timestampHeader(), ts));
      mac = Hmacs.mac(options.algorithm(), Hmacs.utf8(in.secret()), Hmacs.utf8(ts + "."), in.body());
    } else {
      mac = Hmacs.mac(options.algorithm(), Hmacs.utf8(in.secret()), in.body());
    }
    headers.add(new Header(options.header(), options.prefix() + (options.base64() ? Hmacs.base64(mac) : Hmacs.hex(mac))));
    return headers;
  }

  @Override
  public Verified verify(WebhookRequest request, List<String> secrets, Freshness freshness) {
    String header = options.header();
    String value = request.headers().requireToken(header, DenyReason.MISSING_SIGNATURE);
    if (!value.startsWith(options.prefix())) {
      throw new WebhookDenied(DenyReason.MALFORMED_SIGNATURE, "header " + header + " must start with " + options.prefix());
    }
    String digest = value.substring(options.prefix().length());
    byte[] presented = options.base64() ? Hmacs.fromBase64(digest, header) : Hmacs.fromHex(digest, header);
    byte[] mac;
    if (options.timestamped()) {
      String ts = request.headers().requireToken(options.timestampHeader(), DenyReason.MISSING_HEADER);
      freshness.requireEpochSeconds(options.timestampHeader(), ts);
      mac = Hmacs.requireMatch(options.algorithm(), Hmacs.utf8Keys(secrets), List.of(presented), header, Hmacs.utf8(ts + "."), request.body());
    } else {
      mac = Hmacs.requireMatch(options.algorithm(), Hmacs.utf8Keys(secrets), List.of(presented), header, Hmacs.NO_PREFIX, request.body());
    }
    return Verified.bySignature(null, mac);
  }
}

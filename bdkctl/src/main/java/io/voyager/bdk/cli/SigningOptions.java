package io.voyager.bdk.cli;

import io.voyager.bdk.extauthz.scheme.Header;
import io.voyager.bdk.extauthz.scheme.Schemes;
import io.voyager.bdk.extauthz.scheme.SigningInput;
import io.voyager.bdk.extauthz.scheme.WebhookScheme;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * How to sign a webhook, shared by {@code webhook sign} and {@code webhook send}. The signing
 * code is ext-authz's own scheme classes: what bdkctl signs is exactly what ext-authz verifies.
 */
final class SigningOptions {
  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Option(names = "--scheme", required = true, description = "github, stripe, slack, shopify, zendesk, standard or hmac.")
  String scheme;

  @Option(names = "--secret", description = "The signing secret (standard: whsec_<base64>). Prefer --secret-file: arguments show in shell history.")
  String secret;

  @Option(names = "--secret-file", description = "File whose first non-blank line is the signing secret.")
  Path secretFile;

  @Option(names = "--timestamp", description = "Signing time, Unix seconds or ISO-8601 (default: now).")
  String timestamp;

  @Option(names = "--id", description = "Delivery id (default: a random one for schemes that send an id: github, shopify, zendesk, standard).")
  String id;

  @Option(names = "--body-file", required = true, description = "File holding the exact body to sign ('-' for standard input).")
  String bodyFile;

  @Option(names = "--hmac-algorithm", description = "hmac scheme: sha1, sha256 (default) or sha512.")
  String hmacAlgorithm;

  @Option(names = "--hmac-header", description = "hmac scheme: signature header (default: X-Signature).")
  String hmacHeader;

  @Option(names = "--hmac-prefix", description = "hmac scheme: text before the digest, e.g. sha256= (default: none).")
  String hmacPrefix;

  @Option(names = "--hmac-encoding", description = "hmac scheme: hex (default) or base64.")
  String hmacEncoding;

  @Option(names = "--hmac-payload", description = "hmac scheme: body (default) or timestamp.body.")
  String hmacPayload;

  @Option(names = "--hmac-timestamp-header", description = "hmac scheme: header carrying the timestamp when the payload is timestamp.body.")
  String hmacTimestampHeader;

  private byte[] body;

  /** The body bytes, read once. */
  byte[] body() {
    if (body == null) {
      try {
        body = bodyFile.equals("-") ? System.in.readAllBytes() : Files.readAllBytes(Path.of(bodyFile));
      } catch (IOException e) {
        throw new ParameterException(spec.commandLine(), "--body-file " + bodyFile + " cannot be read: " + e.getMessage());
      }
    }
    return body;
  }

  /** The header lines a sender adds, signed by ext-authz's scheme class. */
  List<Header> sign() {
    rejectHmacOptionsUnlessHmac();
    WebhookScheme webhookScheme;
    try {
      webhookScheme = Schemes.byName(scheme, hmacKeys());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--scheme: " + e.getMessage().replace("hmac_", "--hmac-").replace('_', '-'));
    }
    try {
      return webhookScheme.sign(new SigningInput(body(), secret(), instant(), deliveryId()));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  private Map<String, String> hmacKeys() {
    Map<String, String> keys = new HashMap<>();
    putIfSet(keys, "hmac_algorithm", hmacAlgorithm);
    putIfSet(keys, "hmac_header", hmacHeader);
    putIfSet(keys, "hmac_prefix", hmacPrefix);
    putIfSet(keys, "hmac_encoding", hmacEncoding);
    putIfSet(keys, "hmac_payload", hmacPayload);
    putIfSet(keys, "hmac_timestamp_header", hmacTimestampHeader);
    return keys;
  }

  private static void putIfSet(Map<String, String> keys, String key, String value) {
    if (value != null) {
      keys.put(key, value);
    }
  }

  private String secret() {
    if ((secret == null) == (secretFile == null)) {
      throw new ParameterException(spec.commandLine(), "give exactly one of --secret or --secret-file");
    }
    if (secret != null) {
      return secret;
    }
    try {
      return Files.readAllLines(secretFile, StandardCharsets.UTF_8).stream().map(String::strip).filter(s -> !s.isEmpty()).findFirst()
          .orElseThrow(() -> new ParameterException(spec.commandLine(), "--secret-file " + secretFile + " holds no secret"));
    } catch (IOException e) {
      throw new ParameterException(spec.commandLine(), "--secret-file " + secretFile + " cannot be read: " + e.getMessage());
    }
  }

  private Instant instant() {
    if (timestamp == null) {
      return Instant.now();
    }
    try {
      return timestamp.chars().allMatch(Character::isDigit) ? Instant.ofEpochSecond(Long.parseLong(timestamp)) : Instant.parse(timestamp);
    } catch (NumberFormatException | DateTimeParseException e) {
      throw new ParameterException(spec.commandLine(), "--timestamp must be Unix seconds or ISO-8601, not '" + timestamp + "'");
    }
  }

  private String deliveryId() {
    if (id != null) {
      return id;
    }
    return switch (scheme) {
      case "standard" -> "msg_" + UUID.randomUUID().toString().replace("-", "");
      case "github", "shopify", "zendesk" -> UUID.randomUUID().toString();
      default -> null;
    };
  }

  /** Unused options for a scheme are an error, so a typo is not silently ignored. */
  void rejectHmacOptionsUnlessHmac() {
    if (!"hmac".equals(scheme) && !hmacKeys().isEmpty()) {
      throw new ParameterException(spec.commandLine(), "--hmac-* options apply only to --scheme hmac");
    }
  }
}

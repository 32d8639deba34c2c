package io.voyager.bdk.extauthz.scheme;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HMAC computation, encodings and the constant-time match every scheme uses. */
public final class Hmacs {
  private Hmacs() {}

  public static final String SHA1 = "HmacSHA1";
  public static final String SHA256 = "HmacSHA256";
  public static final String SHA512 = "HmacSHA512";

  /**
   * One {@link Mac} per thread and algorithm, re-keyed for each use. {@code Mac.getInstance} looks
   * the provider up (and checks it) on every call; on the Check path that lookup cost more than the
   * HMAC of a 1 KiB body (JFR of {@code bdkctl bench check}). {@code init} with a new key resets
   * the Mac, so nothing of one computation leaks into the next; a thread computes one HMAC at a
   * time, so sharing per thread is safe.
   */
  private static final ThreadLocal<Map<String, Mac>> MACS = ThreadLocal.withInitial(() -> new HashMap<>(4));

  /** HMAC of the concatenated parts. */
  public static byte[] mac(String algorithm, byte[] key, byte[]... parts) {
    try {
      Mac mac = MACS.get().get(algorithm);
      if (mac == null) {
        mac = Mac.getInstance(algorithm);
        MACS.get().put(algorithm, mac);
      }
      mac.init(new SecretKeySpec(key, algorithm));
      for (byte[] part : parts) {
        mac.update(part);
      }
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC " + algorithm + " unavailable", e);
    }
  }

  /**
   * The MAC, computed with each key in turn, that equals one of the presented signatures,
   * compared in constant time ({@link MessageDigest#isEqual}); empty when none does.
   */
  public static Optional<byte[]> firstMatch(String algorithm, List<byte[]> keys, List<byte[]> presented, byte[]... parts) {
    for (byte[] key : keys) {
      byte[] expected = mac(algorithm, key, parts);
      for (byte[] candidate : presented) {
        if (MessageDigest.isEqual(expected, candidate)) {
          return Optional.of(expected);
        }
      }
    }
    return Optional.empty();
  }

  /** Verifies or denies with {@link DenyReason#SIGNATURE_MISMATCH} naming the header. */
  public static byte[] requireMatch(String algorithm, List<byte[]> keys, List<byte[]> presented, String header, byte[]... parts) {
    return firstMatch(algorithm, keys, presented, parts)
        .orElseThrow(() -> new WebhookDenied(DenyReason.SIGNATURE_MISMATCH, "header " + header + " does not match the body signed with any active secret"));
  }

  public static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  public static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }

  public static String base64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  /** Decodes a hex signature or denies as malformed, naming the header. */
  public static byte[] fromHex(String value, String header) {
    try {
      if (value.isEmpty() || value.length() % 2 != 0) {
        throw new IllegalArgumentException("odd length");
      }
      return HexFormat.of().parseHex(value);
    } catch (IllegalArgumentException e) {
      throw new WebhookDenied(DenyReason.MALFORMED_SIGNATURE, "header " + header + " is not a hex digest");
    }
  }

  /** Decodes a base64 signature or denies as malformed, naming the header. */
  public static byte[] fromBase64(String value, String header) {
    try {
      byte[] decoded = Base64.getDecoder().decode(value);
      if (decoded.length == 0) {
        throw new IllegalArgumentException("empty");
      }
      return decoded;
    } catch (IllegalArgumentException e) {
      throw new WebhookDenied(DenyReason.MALFORMED_SIGNATURE, "header " + header + " is not a base64 digest");
    }
  }

  /** Each secret as UTF-8 key bytes: how most providers use their shared secret. */
  public static List<byte[]> utf8Keys(List<String> secrets) {
    return secrets.stream().map(Hmacs::utf8).toList();
  }
}

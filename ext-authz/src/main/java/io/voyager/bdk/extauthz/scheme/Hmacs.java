package io.voyager.bdk.extauthz.scheme;

import com.google.protobuf.ByteOutput;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
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
  private static final ThreadLocal<PerThread> PER_THREAD = ThreadLocal.withInitial(PerThread::new);

  /** A thread's Macs, the sink that feeds a body into one in place, and its last derived keys. */
  private static final class PerThread {
    final Map<String, Mac> macs = new HashMap<>(4);
    final MacFeed feed = new MacFeed();
    final Map<Function<String, byte[]>, KeyMemo> keys = new HashMap<>(4);

    Mac mac(String algorithm) throws GeneralSecurityException {
      Mac mac = macs.get(algorithm);
      if (mac == null) {
        mac = Mac.getInstance(algorithm);
        macs.put(algorithm, mac);
      }
      return mac;
    }
  }

  /** The keys derived from a list of secrets (compared by value: a rotated Secret derives anew). */
  private record KeyMemo(List<String> secrets, List<byte[]> keys) {}

  /**
   * Feeds the bytes a {@link ByteString} hands out into a Mac without copying them
   * ({@link UnsafeByteOperations#unsafeWriteTo}: the body is only read, never kept or changed).
   */
  private static final class MacFeed extends ByteOutput {
    Mac mac;

    @Override
    public void write(byte value) {
      mac.update(value);
    }

    @Override
    public void write(byte[] value, int offset, int length) {
      mac.update(value, offset, length);
    }

    @Override
    public void writeLazy(byte[] value, int offset, int length) {
      mac.update(value, offset, length);
    }

    @Override
    public void write(ByteBuffer value) {
      mac.update(value);
    }

    @Override
    public void writeLazy(ByteBuffer value) {
      mac.update(value);
    }
  }

  /** HMAC of the concatenated parts. */
  public static byte[] mac(String algorithm, byte[] key, byte[]... parts) {
    try {
      Mac mac = PER_THREAD.get().mac(algorithm);
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
   * HMAC of {@code prefix} (may be empty) followed by {@code body}, the body read where it lies: no
   * copy of the request's bytes (the Check path's largest allocation per check before).
   */
  public static byte[] mac(String algorithm, byte[] key, byte[] prefix, ByteString body) {
    try {
      PerThread state = PER_THREAD.get();
      Mac mac = state.mac(algorithm);
      mac.init(new SecretKeySpec(key, algorithm));
      mac.update(prefix);
      state.feed.mac = mac;
      try {
        UnsafeByteOperations.unsafeWriteTo(body, state.feed);
      } finally {
        state.feed.mac = null;
      }
      return mac.doFinal();
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("HMAC " + algorithm + " unavailable", e);
    }
  }

  /** No prefix: the body alone is signed. */
  static final byte[] NO_PREFIX = new byte[0];

  /**
   * {@link #firstMatch} for {@code prefix + body}, the body read in place; denies with
   * {@link DenyReason#SIGNATURE_MISMATCH} naming the header. Each presented signature is compared
   * with each key's MAC in constant time ({@link MessageDigest#isEqual}).
   */
  public static byte[] requireMatch(String algorithm, List<byte[]> keys, List<byte[]> presented, String header, byte[] prefix,
      ByteString body) {
    for (byte[] key : keys) {
      byte[] expected = mac(algorithm, key, prefix, body);
      for (byte[] candidate : presented) {
        if (MessageDigest.isEqual(expected, candidate)) {
          return expected;
        }
      }
    }
    throw new WebhookDenied(DenyReason.SIGNATURE_MISMATCH, "header " + header + " does not match the body signed with any active secret");
  }

  /**
   * The keys {@code derive} gives for {@code secrets} (null results left out), remembered per thread
   * for the last list each derivation saw: the same Secret's keys are not derived again on every
   * check. {@code derive} must be a pure function held in a constant (it is the memo's key).
   */
  public static List<byte[]> derivedKeys(List<String> secrets, Function<String, byte[]> derive) {
    Map<Function<String, byte[]>, KeyMemo> memos = PER_THREAD.get().keys;
    KeyMemo memo = memos.get(derive);
    if (memo != null && memo.secrets().equals(secrets)) {
      return memo.keys();
    }
    List<byte[]> keys = new java.util.ArrayList<>(secrets.size());
    for (String secret : secrets) {
      byte[] key = derive.apply(secret);
      if (key != null) {
        keys.add(key);
      }
    }
    keys = java.util.Collections.unmodifiableList(keys);
    if (memo == null && memos.size() >= MAX_DERIVATIONS) {
      memos.clear(); // a caller passing a new function each time: stays bounded, only the memo is lost
    }
    memos.put(derive, new KeyMemo(List.copyOf(secrets), keys));
    return keys;
  }

  private static final Function<String, byte[]> UTF8 = Hmacs::utf8;
  /** Derivations remembered per thread (the schemes have two: UTF-8 and whsec_ base64). */
  static final int MAX_DERIVATIONS = 8;

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
    return derivedKeys(secrets, UTF8);
  }
}

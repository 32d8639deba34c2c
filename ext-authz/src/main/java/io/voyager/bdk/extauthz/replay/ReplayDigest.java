package io.voyager.bdk.extauthz.replay;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What a replay store keeps of one (endpoint, replay key): the first 128 bits of
 * SHA-256({@code endpointKey} LF {@code replayKey}). Fixed size whatever the key's length (a
 * delivery-id header can be kilobytes), and uniformly distributed, so its low bits index a hash
 * table directly. 128 bits: a false "replay" needs a collision, about 2^-64 likely at 2^32 stored
 * digests.
 */
public record ReplayDigest(long high, long low) implements Comparable<ReplayDigest> {
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  });

  public static ReplayDigest of(String endpointKey, String replayKey) {
    MessageDigest sha = SHA256.get();
    sha.reset();
    sha.update(endpointKey.getBytes(StandardCharsets.UTF_8));
    sha.update((byte) '\n');
    byte[] d = sha.digest(replayKey.getBytes(StandardCharsets.UTF_8));
    return new ReplayDigest(longAt(d, 0), longAt(d, 8));
  }

  /** 32 hex characters: a key name for a shared store. */
  public String hex() {
    return HexFormat.of().toHexDigits(high) + HexFormat.of().toHexDigits(low);
  }

  /** The digest of {@link #hex()}; IllegalArgumentException unless exactly 32 hex digits. */
  public static ReplayDigest parseHex(String hex) {
    if (hex.length() != 32 || !hex.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      throw new IllegalArgumentException("a replay digest is 32 lowercase hex digits");
    }
    return new ReplayDigest(Long.parseUnsignedLong(hex.substring(0, 16), 16), Long.parseUnsignedLong(hex.substring(16), 16));
  }

  @Override
  public int compareTo(ReplayDigest o) {
    int c = Long.compareUnsigned(high, o.high);
    return c != 0 ? c : Long.compareUnsigned(low, o.low);
  }

  private static long longAt(byte[] b, int off) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[off + i] & 0xffL);
    }
    return v;
  }
}

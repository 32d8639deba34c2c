package io.voyager.bdk.extauthz.replay;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;

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

  private static final char[] HEX_DIGITS = "0123456789abcdef".toCharArray();

  /** The last delivery's digests computed on this thread (see {@link #ofDelivery}). */
  private static final ThreadLocal<Memo> LAST = new ThreadLocal<>();

  private record Memo(String endpointKey, List<String> replayKeys, List<ReplayDigest> digests) {}

  /**
   * A delivery's digests: distinct, in {@link #compareTo} order (the order a shared store creates
   * them in). One check asks for the same delivery's digests up to three times on one thread (the
   * replay pre-read, the record, the release header), so the last answer is kept per thread and
   * given again for equal keys and endpoint (compared, never trusted by identity);
   * no streams (the profile of the Check path showed the stream pipelines and the repeated
   * SHA-256 among its allocations).
   */
  public static List<ReplayDigest> ofDelivery(String endpointKey, List<String> replayKeys) {
    Memo last = LAST.get();
    if (last != null && last.replayKeys.equals(replayKeys) && last.endpointKey.equals(endpointKey)) {
      return last.digests;
    }
    List<ReplayDigest> digests;
    if (replayKeys.size() == 1) {
      digests = List.of(of(endpointKey, replayKeys.get(0)));
    } else {
      ReplayDigest[] all = new ReplayDigest[replayKeys.size()];
      int n = 0;
      for (String key : replayKeys) {
        ReplayDigest d = of(endpointKey, key);
        boolean seen = false;
        for (int i = 0; i < n && !seen; i++) {
          seen = all[i].equals(d);
        }
        if (!seen) {
          all[n++] = d;
        }
      }
      ReplayDigest[] distinct = Arrays.copyOf(all, n);
      Arrays.sort(distinct);
      digests = List.of(distinct);
    }
    LAST.set(new Memo(endpointKey, List.copyOf(replayKeys), digests)); // no copy of an immutable list (a Verified's)
    return digests;
  }

  /** 32 hex characters: a key name for a shared store. */
  public String hex() {
    char[] hex = new char[32];
    for (int i = 0; i < 16; i++) {
      hex[i] = HEX_DIGITS[(int) (high >>> (60 - 4 * i)) & 0xf];
      hex[16 + i] = HEX_DIGITS[(int) (low >>> (60 - 4 * i)) & 0xf];
    }
    return new String(hex);
  }

  /** Appends {@link #hex()}'s 32 characters to {@code out} (no String per digest). */
  public StringBuilder appendHex(StringBuilder out) {
    for (int i = 0; i < 16; i++) {
      out.append(HEX_DIGITS[(int) (high >>> (60 - 4 * i)) & 0xf]);
    }
    for (int i = 0; i < 16; i++) {
      out.append(HEX_DIGITS[(int) (low >>> (60 - 4 * i)) & 0xf]);
    }
    return out;
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

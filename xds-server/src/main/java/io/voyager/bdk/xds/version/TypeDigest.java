package io.voyager.bdk.xds.version;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The version of a resource type, maintained incrementally: the sum modulo 2<sup>256</sup> of one
 * SHA-256 digest per resource over its (length-prefixed) name and content version, and the
 * resource count; the version shown is the first 16 hex digits of SHA-256 over that sum and count.
 *
 * <p>Order-independent (a sum), so adding, changing or removing one resource costs two SHA-256 of
 * a few bytes and a 256-bit addition or subtraction, never a pass over the other resources. Names
 * are unique within a type, so the summed elements form a set. Collision safety: each element is
 * a SHA-256 output, and two different sets of (name, version) pairs give the same sum only by an
 * accident of probability about 2<sup>-256</sup> per pair of states (this is the additive
 * "AdHash" construction of Bellare and Micciancio); the version shown is truncated to 64 bits, as
 * every version here always was. Not claimed against an adversary who controls thousands of
 * resources of the same type and searches for a sum collision (a generalized-birthday attack on
 * a 256-bit modular sum): per-resource versions, which delta xDS compares, stay full content
 * hashes of each resource.
 */
final class TypeDigest {
  private static final BigInteger MODULUS = BigInteger.ONE.shiftLeft(256);
  private static final int HEX_CHARS = 16;
  static final TypeDigest EMPTY = new TypeDigest(BigInteger.ZERO, 0);

  private final BigInteger sum;
  private final int count;
  private final String version;

  private TypeDigest(BigInteger sum, int count) {
    this.sum = sum;
    this.count = count;
    MessageDigest sha = sha256();
    byte[] fixed = new byte[32];
    byte[] raw = sum.toByteArray(); // big-endian, maybe with a sign byte or shorter than 32
    int copy = Math.min(raw.length, 32);
    System.arraycopy(raw, raw.length - copy, fixed, 32 - copy, copy);
    sha.update(fixed);
    sha.update(ByteBuffer.allocate(Integer.BYTES).putInt(count).array());
    this.version = HexFormat.of().formatHex(sha.digest()).substring(0, HEX_CHARS);
  }

  String version() {
    return version;
  }

  Builder toBuilder() {
    return new Builder(sum, count);
  }

  /** The digest of one resource: SHA-256 of its name and content version, each length-prefixed. */
  static BigInteger element(String name, String version) {
    MessageDigest sha = sha256();
    for (String part : new String[] {name, version}) {
      byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
      sha.update(ByteBuffer.allocate(Integer.BYTES).putInt(bytes.length).array());
      sha.update(bytes);
    }
    return new BigInteger(1, sha.digest());
  }

  static final class Builder {
    private BigInteger sum;
    private int count;

    private Builder(BigInteger sum, int count) {
      this.sum = sum;
      this.count = count;
    }

    Builder add(String name, String version) {
      sum = sum.add(element(name, version)).mod(MODULUS);
      count++;
      return this;
    }

    Builder remove(String name, String version) {
      sum = sum.subtract(element(name, version)).mod(MODULUS);
      count--;
      return this;
    }

    TypeDigest build() {
      return new TypeDigest(sum, count);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}

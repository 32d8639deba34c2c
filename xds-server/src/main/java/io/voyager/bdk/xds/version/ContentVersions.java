package io.voyager.bdk.xds.version;

import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.Resources;
import io.voyager.bdk.xds.translate.Anys;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.SortedMap;

/**
 * Versions derived from content: SHA-256 of a resource's deterministic protobuf serialization
 * (never {@code hashCode()}, which differs between JVMs), and for a resource type the SHA-256 of
 * its sorted {@code name=version} lines. Same content on any JVM → same version → nothing re-pushed.
 */
public final class ContentVersions {
  private ContentVersions() {}

  private static final int HEX_CHARS = 16;

  public static String ofResource(Message resource) {
    MessageDigest sha = sha256();
    sha.update(resource.getDescriptorForType().getFullName().getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0);
    sha.update(Anys.deterministicBytes(resource).asReadOnlyByteBuffer());
    return HexFormat.of().formatHex(sha.digest()).substring(0, HEX_CHARS);
  }

  /** Version of a whole resource type from its resources' names and versions. */
  public static String ofType(SortedMap<String, String> versionsByName) {
    MessageDigest sha = sha256();
    for (Map.Entry<String, String> e : versionsByName.entrySet()) {
      sha.update((e.getKey() + "=" + e.getValue() + "\n").getBytes(StandardCharsets.UTF_8));
    }
    return HexFormat.of().formatHex(sha.digest()).substring(0, HEX_CHARS);
  }

  static String name(Message resource) {
    return Resources.getResourceName(resource);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}

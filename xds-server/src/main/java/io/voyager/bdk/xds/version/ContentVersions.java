package io.voyager.bdk.xds.version;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.voyager.bdk.xds.translate.Anys;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.SortedMap;
import java.util.function.Function;

/**
 * Versions derived from content, never from {@code hashCode()} (which differs between JVMs): same
 * content on any JVM → same version → nothing re-pushed.
 *
 * <ul>
 *   <li>A resource: SHA-256 of its type name and deterministic protobuf serialization.
 *   <li>A {@link RouteConfiguration} (one message holding every route): SHA-256 over its
 *       serialization without virtual hosts, then per virtual host its serialization without routes
 *       and the ordered SHA-256 digests of its routes, every part length-prefixed or fixed-length, so
 *       the digest changes iff the content does, and an unchanged route is not serialized again.
 *   <li>A resource type: SHA-256 of its sorted {@code name=version} lines.
 * </ul>
 *
 * Digests of resources and routes are remembered by message identity (weak keys: an entry lives
 * as long as its immutable message), so the identical message objects an incremental translation
 * reuses are hashed once; memory follows the messages still in use.
 */
public final class ContentVersions {
  private ContentVersions() {}

  private static final int HEX_CHARS = 16;

  /** A full SHA-256 digest and the version shown for it (its first {@value #HEX_CHARS} hex digits). */
  private record Digest(byte[] bytes, String version) {
    static Digest of(byte[] bytes) {
      return new Digest(bytes, HexFormat.of().formatHex(bytes).substring(0, HEX_CHARS));
    }
  }

  /** Digests by message identity: resources (by their version scheme) and routes. */
  private static final Cache<Message, Digest> DIGESTS = Caffeine.newBuilder().weakKeys().executor(Runnable::run).build(); // maintenance inline: no pool task per read

  public static String ofResource(Message resource) {
    return remembered(resource, r -> r instanceof RouteConfiguration rc ? routeConfigurationDigest(rc) : messageDigest(r))
        .version();
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
    if (resource instanceof io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration scope) {
      return scope.getName(); // a type java-control-plane does not know
    }
    return Resources.getResourceName(resource);
  }

  /**
   * The digest remembered for {@code message}, else computed and remembered. Not
   * {@code Cache.get(key, fn)}: a route configuration's digest looks up its routes, and a cache
   * must not be updated from inside its own mapping function. Computing twice under a race is
   * harmless: the digest is a pure function of the message.
   */
  private static <T extends Message> Digest remembered(T message, Function<T, byte[]> compute) {
    Digest digest = DIGESTS.getIfPresent(message);
    if (digest == null) {
      digest = Digest.of(compute.apply(message));
      DIGESTS.put(message, digest);
    }
    return digest;
  }

  private static byte[] messageDigest(Message message) {
    MessageDigest sha = sha256();
    sha.update(message.getDescriptorForType().getFullName().getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0);
    sha.update(Anys.deterministicBytes(message).asReadOnlyByteBuffer());
    return sha.digest();
  }

  private static byte[] routeConfigurationDigest(RouteConfiguration config) {
    MessageDigest sha = sha256();
    sha.update(config.getDescriptorForType().getFullName().getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0);
    updateLengthPrefixed(sha, Anys.deterministicBytes(config.toBuilder().clearVirtualHosts().build()));
    updateCount(sha, config.getVirtualHostsCount());
    for (VirtualHost host : config.getVirtualHostsList()) {
      updateLengthPrefixed(sha, Anys.deterministicBytes(host.toBuilder().clearRoutes().build()));
      updateCount(sha, host.getRoutesCount());
      for (Route route : host.getRoutesList()) {
        sha.update(remembered(route, ContentVersions::messageDigest).bytes()); // fixed length: 32 bytes
      }
    }
    return sha.digest();
  }

  private static void updateLengthPrefixed(MessageDigest sha, ByteString bytes) {
    updateCount(sha, bytes.size());
    sha.update(bytes.asReadOnlyByteBuffer());
  }

  private static void updateCount(MessageDigest sha, int count) {
    sha.update(ByteBuffer.allocate(Integer.BYTES).putInt(count).array());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}

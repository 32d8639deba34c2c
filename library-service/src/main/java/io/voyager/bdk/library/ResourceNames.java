package io.voyager.bdk.library;

import io.voyager.bdk.model.DnsNames;

import io.voyager.bdk.model.Digests;
import java.util.Locale;
import java.util.UUID;

/**
 * Kubernetes object names the library derives from API input. Every name is a DNS-1123 label
 * (at most 63 characters) so the controller can name Deployments, Services and
 * ExternalBookDefinitions after it.
 */
final class ResourceNames {
  private ResourceNames() {}

  private static final int DIGEST_CHARS = 16;

  /**
   * A BookDefinition's metadata.name: readable {@code <name>-<version>} (truncated) plus 16 hex
   * characters of SHA-256 over the exact name and version. The same name and version always give
   * the same object name, so the API server itself refuses a second create (409); different ones
   * differ in the digest even where truncation or lower-casing of the version made them alike.
   */
  static String book(String name, String version) {
    String readable = name + "-" + version.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
    String digest = Digests.sha256Hex(name + "\n" + version).substring(0, DIGEST_CHARS);
    return trimmed(readable, DnsNames.MAX_LABEL - DIGEST_CHARS - 1) + "-" + digest;
  }

  /**
   * A BookInstanceDefinition's metadata.name: the book's name (truncated; prefixed with {@code b-}
   * when it starts with a digit, so it also suits Services, which must start with a letter) and the
   * instance id, which makes it unique.
   */
  static String instance(String bookName, UUID instanceId) {
    String id = instanceId.toString();
    String base = Character.isDigit(bookName.charAt(0)) ? "b-" + bookName : bookName;
    return trimmed(base, DnsNames.MAX_LABEL - id.length() - 1) + "-" + id;
  }

  /**
   * The Lease whose resourceVersion serializes quota-checked creates of the Organization named
   * {@code organizationName} (see {@link QuotaGuard}): {@code bdk-quota-<name>}, or a digest of the
   * name when that would be too long for an object name.
   */
  static String quotaLease(String organizationName) {
    String name = "bdk-quota-" + organizationName;
    return name.length() <= 253 ? name : "bdk-quota-" + Digests.sha256Hex(organizationName);
  }

  private static String trimmed(String s, int max) {
    String cut = s.length() > max ? s.substring(0, max) : s;
    return cut.replaceAll("-+$", "");
  }
}

package io.voyager.bdk.library;

import io.voyager.bdk.model.BookInstanceDefinition;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An instance's etag (AIP-154): {@code W/"<generation>-<credential revision>"}, a weak RFC 7232
 * entity tag of exactly what callers write. The generation is the API server's: it counts changes
 * of the spec (never of status or metadata). The credential revision ({@link CredentialHistory})
 * counts writes of credential values, which live in a Secret and so leave the spec alone. An update
 * carrying an etag proceeds only while both are unchanged, and then writes with a compare-and-swap
 * on the resourceVersion it read, so two updates sent with the same etag never both succeed.
 *
 * <p>Why not the resourceVersion itself: it changes with every status write (the controller's
 * phases, ready replicas and conditions, the gateway's routed paths) and every annotation, so an
 * etag read a moment ago would be refused for changes the caller cannot make and does not care
 * about. Weak ("W/") says so: the same etag, the same spec and credentials — not byte for byte the
 * same answer.
 */
record Etag(long generation, long credentialRevision) {

  static final String FIELD = "etag";
  private static final Pattern FORMAT = Pattern.compile("W/\"(\\d{1,18})-(\\d{1,18})\"");

  static Etag of(BookInstanceDefinition instance) {
    Long generation = instance.getMetadata().getGeneration();
    return new Etag(generation == null ? 0 : generation, CredentialHistory.revision(instance));
  }

  String text() {
    return "W/\"" + generation + "-" + credentialRevision + "\"";
  }

  /**
   * The etag a caller sent.
   *
   * @throws ApiException INVALID_ARGUMENT naming {@code etag} when it is not one this API issues
   */
  static Etag parse(String text) {
    Matcher m = FORMAT.matcher(text.strip());
    if (!m.matches()) {
      throw ApiException.invalid(FIELD, "is not an etag of this API (W/\"<n>-<n>\" as a read returns it); got "
          + RequestValidator.quoted(text));
    }
    return new Etag(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)));
  }
}

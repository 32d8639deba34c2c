package io.voyager.bdk.extauthz.scheme;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;

/**
 * What a scheme verifies: the request's headers and the exact body bytes, as the Check request
 * holds them (a {@link ByteString} view: the body is not copied to be verified).
 */
public record WebhookRequest(RequestHeaders headers, ByteString body) {
  /** A body given as an array (tests, signing tools): wrapped, not copied; the caller must not change it. */
  public WebhookRequest(RequestHeaders headers, byte[] body) {
    this(headers, UnsafeByteOperations.unsafeWrap(body));
  }
}

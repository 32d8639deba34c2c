package io.voyager.bdk.extauthz.scheme;

/**
 * A webhook is refused. The message names the header or setting at fault and never contains a
 * secret; it is returned to the sender as is.
 */
public final class WebhookDenied extends RuntimeException {
  private final DenyReason reason;

  public WebhookDenied(DenyReason reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  public DenyReason reason() {
    return reason;
  }
}

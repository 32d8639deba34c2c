package io.voyager.bdk.model;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * How the gateway hands a webhook binding's requests to the book: the one home of the
 * {@code delivery} and {@code ordered} fields' rules (instance, ExternalBookDefinition and, later,
 * the library API all read them through here).
 *
 * <ul>
 *   <li>{@code direct} (the default, also when the field is absent): Envoy proxies the request to
 *       the book synchronously, and the sender sees the book's answer.
 *   <li>{@code queued}: after ext_authz allowed it, Envoy routes the request to the webhook relay,
 *       which answers {@code 202} once JetStream has stored it and delivers it to the book
 *       at-least-once with retries (docs/webhook-relay.md).
 * </ul>
 *
 * {@code ordered: true} (queued only) delivers one webhook at a time to that endpoint.
 */
public final class WebhookDelivery {
  private WebhookDelivery() {}

  public static final String DIRECT = "direct";
  public static final String QUEUED = "queued";
  public static final List<String> MODES = List.of(DIRECT, QUEUED);
  /**
   * A webhook id as ext-authz hands it on ({@code x-bdk-webhook-id}): the sender's delivery id when
   * it has this shape, else a UUID. The relay refuses any other.
   */
  public static final Pattern WEBHOOK_ID = Pattern.compile("[A-Za-z0-9._:@+=-]{1,128}");

  /** Header the gateway's route sets on a queued binding's requests: {@code true} for ordered delivery. */
  public static final String HEADER_ORDERED = "x-bdk-ordered";

  /**
   * Header of the relay's 202 (which has no body): {@code true}, the webhook is stored and will be
   * delivered. With it the 202 carries {@code x-bdk-webhook-id}.
   */
  public static final String HEADER_QUEUED = "x-bdk-queued";

  /**
   * Header of the relay's 202 when that webhook id was already stored (within JetStream's duplicate
   * window): {@code true}; stored and delivered once.
   */
  public static final String HEADER_DUPLICATE = "x-bdk-duplicate";

  /** Header on every delivery attempt the relay makes: 1 for the first. */
  public static final String HEADER_ATTEMPT = "x-bdk-delivery-attempt";

  /**
   * The URI subject alternative name of the webhook relay's certificate (internal CA): the only
   * client the gateway's internal delivery listener admits.
   */
  public static final String RELAY_IDENTITY = "spiffe://bdk/webhook-relay";

  /** The CRD schema's pattern for {@code delivery}. */
  public static final String PATTERN = "^(direct|queued)$";

  /** {@code delivery} as given, with absent meaning {@link #DIRECT}. */
  public static String modeOf(String delivery) {
    return delivery == null || delivery.isBlank() ? DIRECT : delivery;
  }

  public static boolean isQueued(String delivery) {
    return QUEUED.equals(modeOf(delivery));
  }

  /** True only for {@code ordered: true}; absent is false. */
  public static boolean isOrdered(Boolean ordered) {
    return Boolean.TRUE.equals(ordered);
  }

  /**
   * Why {@code delivery}/{@code ordered} at {@code field} (e.g. {@code webhooks[0]}) are refused,
   * or null when they are fine: an unknown mode, or {@code ordered} on a direct binding (it would
   * promise an order nobody keeps).
   */
  public static String problem(String field, String delivery, Boolean ordered) {
    if (delivery != null && !MODES.contains(delivery)) {
      return field + ".delivery: must be one of " + MODES + "; got '" + delivery.toLowerCase(Locale.ROOT) + "'";
    }
    if (isOrdered(ordered) && !isQueued(delivery)) {
      return field + ".ordered: only a queued binding can be ordered (delivery: queued)";
    }
    return null;
  }
}

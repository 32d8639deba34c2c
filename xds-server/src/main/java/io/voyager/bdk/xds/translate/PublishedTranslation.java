package io.voyager.bdk.xds.translate;

import io.voyager.bdk.xds.model.GatewayInput;

/** A translation that was offered to Envoy and the exact input it was computed from. */
public record PublishedTranslation(GatewayInput input, Translation translation) {}

package io.voyager.bdk.xds;

import io.voyager.bdk.model.ExternalBookDefinitionSpec;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.Authentication;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.ExternalIntegration;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.SecretRef;
import io.voyager.bdk.model.RateLimit;
import io.voyager.bdk.support.auth.DevIssuer;
import io.voyager.bdk.xds.model.BookSource;
import io.voyager.bdk.xds.model.EndpointSliceView;
import io.voyager.bdk.xds.model.JwksDocument;
import java.util.List;

/** Plain inputs for translator tests. */
public final class Fixtures {
  private Fixtures() {}

  /** A development issuer (fresh RS256 and ES256 keys) for the default settings' issuer and audience. */
  public static final DevIssuer ISSUER = DevIssuer.generate(DevIssuer.LOCAL_ISSUER, DevIssuer.LOCAL_AUDIENCE);

  /** {@link #ISSUER}'s public keys, as the watcher reads them from the JWKS ConfigMap. */
  public static final JwksDocument JWKS = JwksDocument.parse("ConfigMap bdk/bdk-jwks key jwks.json", ISSUER.publicJwks());

  public static ExternalIntegration webhook(String name, String scheme) {
    return new ExternalIntegration(name, "webhook", "/webhooks/" + name,
        new Authentication("signature", scheme, new SecretRef("support-credentials", name), 300, null),
        new RateLimit(10.0, 20));
  }

  public static BookSource book(String namespace, String name, ExternalIntegration... integrations) {
    return new BookSource(namespace, name,
        new ExternalBookDefinitionSpec("customer-support", "1.2.0", List.of(integrations), null, null, null, null, null));
  }

  public static EndpointSliceView slice(String namespace, String service, String portName, int port, EndpointSliceView.Endpoint... endpoints) {
    return new EndpointSliceView(namespace, service + "-abc", service,
        List.of(new EndpointSliceView.Port(portName, port)), List.of(endpoints));
  }

  public static EndpointSliceView.Endpoint ready(String ip) {
    return new EndpointSliceView.Endpoint(ip, true);
  }

  public static EndpointSliceView.Endpoint notReady(String ip) {
    return new EndpointSliceView.Endpoint(ip, false);
  }
}

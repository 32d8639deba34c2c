package io.voyager.bdk.xds.ir;

import io.voyager.bdk.xds.model.EdgeSettings;

/**
 * The gateway's public side: the plain HTTP listener (serving or redirecting), the HTTPS listener
 * and its certificate (or why it is withheld), the client-address rule, limits and the webhook
 * routes' per-client limit.
 */
public record EdgeIr(
    String listenerAddress,
    int plainPort,
    int httpsPort,
    EdgeSettings.PlainHttp plainHttp,
    Tls tls,
    int xffTrustedHops,
    EdgeSettings.Limits limits,
    EdgeSettings.ClientLimit webhookClientLimit) {

  /** The HTTPS listener's state. */
  public sealed interface Tls permits Serving, Withheld, Off {}

  /**
   * The certificate is usable: the HTTPS listener references SDS secret {@code secretName}, whose
   * content is the chain and key (PEM).
   */
  public record Serving(String secretName, String certificateChainPem, String privateKeyPem) implements Tls {
    @Override
    public String toString() {
      return "Serving[" + secretName + ", key hidden]";
    }
  }

  /**
   * No usable certificate: no HTTPS listener (the plain one and everything else stay). The last
   * served certificate (null: none) stays as an unreferenced SDS secret; see
   * {@code EdgeCertificate.Unavailable}.
   */
  public record Withheld(String reason, Serving retained) implements Tls {}

  /** No HTTPS listener configured. */
  public record Off() implements Tls {}
}

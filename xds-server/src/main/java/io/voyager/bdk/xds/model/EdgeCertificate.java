package io.voyager.bdk.xds.model;

import io.voyager.bdk.support.tls.CertificateAuthority;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * The certificate of the HTTPS listener, as read from its {@code kubernetes.io/tls} Secret: usable
 * (a PEM chain whose leaf is valid now and matches the PEM private key), or why not. Pure given
 * {@code now}. A usable certificate goes to Envoy over SDS; an unusable one withholds the HTTPS
 * listener (the plain listener and everything else keep working) and the reason is logged and
 * counted.
 */
public sealed interface EdgeCertificate {
  /** Larger Secret values are refused before parsing. */
  int MAX_BYTES = 64 * 1024;

  /**
   * A usable certificate.
   *
   * @param certificateChainPem the chain as the Secret holds it ({@code tls.crt})
   * @param privateKeyPem the key ({@code tls.key}); never logged, never shown on /debug
   * @param notAfter the leaf's expiry
   * @param subject the leaf's subject, for logs
   */
  record Usable(String certificateChainPem, String privateKeyPem, Instant notAfter, String subject)
      implements EdgeCertificate {
    @Override
    public String toString() {
      return "Usable[subject=" + subject + ", notAfter=" + notAfter + ", key hidden]";
    }
  }

  /**
   * Not usable; {@code reason} names the Secret and what is wrong (never key material).
   * {@code previous} is the last usable certificate (null: none since start): its SDS secret stays
   * in the snapshot, referenced by no listener, because java-control-plane 1.0.49 drops an ADS
   * watch for a name the snapshot lacks without answering it ({@code SimpleCache.setSnapshot}
   * removes the watch whether or not it responded), so Envoy, still subscribed from the withheld
   * listener, would never hear of the next good certificate.
   */
  record Unavailable(String reason, Usable previous) implements EdgeCertificate {
    public Unavailable(String reason) {
      this(reason, null);
    }

    public Unavailable withPrevious(Usable previous) {
      return new Unavailable(reason, previous);
    }
  }

  /** No HTTPS listener is configured, or the Secret was not read yet. */
  Unavailable NOT_READ = new Unavailable("the edge TLS Secret has not been read yet");

  /**
   * Checks {@code tls.crt} and {@code tls.key} of {@code source} (e.g. {@code Secret bdk/bdk-edge-tls}).
   */
  static EdgeCertificate parse(String source, String certificateChainPem, String privateKeyPem, Instant now) {
    if (certificateChainPem == null || certificateChainPem.isBlank()) {
      return new Unavailable(source + ": tls.crt is missing or empty");
    }
    if (privateKeyPem == null || privateKeyPem.isBlank()) {
      return new Unavailable(source + ": tls.key is missing or empty");
    }
    if (certificateChainPem.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES
        || privateKeyPem.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      return new Unavailable(source + ": tls.crt or tls.key is larger than " + MAX_BYTES + " bytes");
    }
    List<X509Certificate> chain;
    try {
      chain = CertificateAuthority.Pem.certificates(certificateChainPem);
    } catch (GeneralSecurityException e) {
      return new Unavailable(source + ": tls.crt is not a PEM certificate chain: " + e.getMessage());
    }
    PrivateKey key;
    try {
      key = CertificateAuthority.Pem.privateKey(privateKeyPem);
    } catch (GeneralSecurityException e) {
      // The parser's message never contains key material.
      return new Unavailable(source + ": tls.key is not an unencrypted PEM private key: " + e.getMessage());
    }
    X509Certificate leaf = chain.get(0);
    if (now.isAfter(leaf.getNotAfter().toInstant())) {
      return new Unavailable(source + ": the certificate expired at " + leaf.getNotAfter().toInstant());
    }
    if (now.isBefore(leaf.getNotBefore().toInstant())) {
      return new Unavailable(source + ": the certificate is not valid before " + leaf.getNotBefore().toInstant());
    }
    if (!matches(key, leaf)) {
      return new Unavailable(source + ": tls.key does not belong to the certificate in tls.crt");
    }
    return new Usable(certificateChainPem, privateKeyPem, leaf.getNotAfter().toInstant(),
        leaf.getSubjectX500Principal().getName());
  }

  private static boolean matches(PrivateKey key, X509Certificate leaf) {
    String algorithm = switch (key.getAlgorithm()) {
      case "EC", "ECDSA" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> null;
    };
    if (algorithm == null) {
      return false;
    }
    try {
      byte[] probe = "bdk edge certificate check".getBytes(StandardCharsets.UTF_8);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(leaf.getPublicKey());
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}

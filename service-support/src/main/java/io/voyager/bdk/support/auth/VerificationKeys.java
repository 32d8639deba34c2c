package io.voyager.bdk.support.auth;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.text.ParseException;
import java.time.Duration;
import java.util.List;

/**
 * The public keys tokens are verified with, from the JWKS source the settings name: an OIDC
 * provider's {@code jwks_uri} ({@link RemoteJwksKeys}) or a Kubernetes Secret/ConfigMap key
 * ({@link KubernetesJwksKeys}). Either fails closed: when no usable JWKS is at hand, lookups throw a
 * {@link com.nimbusds.jose.KeySourceException} saying why, and no token verifies.
 */
public interface VerificationKeys extends JWKSource<SecurityContext>, AutoCloseable {

  /** Where the keys come from, for logs and messages, e.g. {@code ConfigMap bdk/bdk-jwks key jwks.json}. */
  String describe();

  @Override
  void close();

  /**
   * Opens the source {@code settings} name. A Kubernetes source starts watching its object and
   * waits at most {@code syncTimeout} for the first list (a missing object is not an error here:
   * it fails closed until it appears). A remote source fetches on first use.
   */
  static VerificationKeys open(JwtSettings.JwksSource source, KubernetesClient client, Duration syncTimeout) {
    if (source instanceof JwtSettings.RemoteJwks remote) {
      return new RemoteJwksKeys(remote);
    }
    return new KubernetesJwksKeys(client, (JwtSettings.KubernetesJwks) source).start(syncTimeout);
  }

  /**
   * The verification keys of a JWKS document: public RSA and EC keys only. Private parts are
   * dropped, and symmetric ({@code oct}) keys never become verification keys, so no HMAC secret
   * can be derived from what the JWKS publishes.
   *
   * @throws ParseException when {@code json} is not a JWKS or holds no RSA or EC key
   */
  static JWKSet parsePublic(String json) throws ParseException {
    JWKSet parsed = JWKSet.parse(json);
    List<JWK> usable = parsed.toPublicJWKSet().getKeys().stream()
        .filter(k -> KeyType.RSA.equals(k.getKeyType()) || KeyType.EC.equals(k.getKeyType()))
        .toList();
    if (usable.isEmpty()) {
      throw new ParseException("holds no RSA or EC public key", 0);
    }
    return new JWKSet(usable);
  }
}

package io.voyager.bdk.xds.model;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The JWKS the gateway verifies bearer tokens with, as read from the Kubernetes Secret or
 * ConfigMap the settings name: the usable keys, or why there are none. Pure.
 *
 * <p>Only what the platform accepts gets through {@link #parse}: RSA keys of at least 2048 bits
 * (pinned to RS256) and P-256 EC keys (pinned to ES256), public parts only, with their key id.
 * Symmetric ({@code oct}) keys are dropped — a JWKS holding one would let an HS256 token signed
 * with it pass (algorithm confusion) — and so are encryption keys and other algorithms or curves.
 * Pinning {@code alg} on every key makes Envoy refuse a token whose header names another algorithm
 * for the same key (RS512, PS256, …), as the library-service does. A document with no usable key
 * is {@link Unavailable}: the gateway then fails closed.
 */
public sealed interface JwksDocument {
  /** More keys than any real provider publishes; the rest are dropped (the listener stays small). */
  int MAX_KEYS = 32;
  /** Larger documents are refused before parsing. */
  int MAX_BYTES = 256 * 1024;

  /**
   * Usable keys.
   *
   * @param json the JWKS Envoy gets: {@code {"keys":[…]}} of the kept public keys, deterministic
   * @param keyIds the kept keys' ids, in document order (an absent kid is {@code ""})
   * @param skipped one line per key left out and why (for the xds-server's log)
   */
  record Keys(String json, List<String> keyIds, List<String> skipped) implements JwksDocument {
    public Keys {
      keyIds = List.copyOf(keyIds);
      skipped = List.copyOf(skipped);
    }
  }

  /** No usable key: every library request is refused (401) until one arrives. */
  record Unavailable(String reason) implements JwksDocument {}

  /** Before the watch has seen the object. */
  Unavailable NOT_READ = new Unavailable("the JWKS has not been read yet");

  /**
   * Parses {@code content} (RFC 7517 JSON), read from {@code source} (e.g.
   * {@code ConfigMap bdk/bdk-jwks key jwks.json}, named in every reason).
   */
  static JwksDocument parse(String source, String content) {
    if (content == null || content.isBlank()) {
      return new Unavailable(source + ": missing or empty");
    }
    if (content.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      return new Unavailable(source + ": larger than " + MAX_BYTES + " bytes");
    }
    JWKSet set;
    try {
      set = JWKSet.parse(content);
    } catch (ParseException e) {
      return new Unavailable(source + ": not a JWKS (RFC 7517 JSON with a \"keys\" array): " + e.getMessage());
    }
    List<Map<String, Object>> kept = new ArrayList<>();
    List<String> keyIds = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    int index = 0;
    for (JWK key : set.getKeys()) {
      String name = "keys[" + index++ + "]" + (key.getKeyID() != null ? " (kid " + key.getKeyID() + ")" : "");
      if (kept.size() == MAX_KEYS) {
        skipped.add(name + ": more than " + MAX_KEYS + " keys");
        continue;
      }
      if (key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse())) {
        skipped.add(name + ": use '" + key.getKeyUse().identifier() + "' is not sig");
        continue;
      }
      JWK usable = usable(key, name, skipped);
      if (usable != null) {
        kept.add(usable.toJSONObject());
        keyIds.add(key.getKeyID() == null ? "" : key.getKeyID());
      }
    }
    if (kept.isEmpty()) {
      return new Unavailable(source + ": no usable signing key (RS256 with RSA >= 2048 bits, or ES256 with P-256)"
          + (skipped.isEmpty() ? "" : ": " + String.join("; ", skipped)));
    }
    return new Keys(JSONObjectUtils.toJSONString(Map.of("keys", kept)), keyIds, skipped);
  }

  /** The key as Envoy should hold it (public, alg pinned), or null with the reason added to {@code skipped}. */
  private static JWK usable(JWK key, String name, List<String> skipped) {
    if (key instanceof RSAKey rsa) {
      if (!allowed(rsa, JWSAlgorithm.RS256)) {
        skipped.add(name + ": alg '" + rsa.getAlgorithm() + "' on an RSA key (only RS256)");
        return null;
      }
      if (rsa.size() < 2048) {
        skipped.add(name + ": RSA modulus of " + rsa.size() + " bits (at least 2048)");
        return null;
      }
      RSAKey.Builder b = new RSAKey.Builder(rsa.getModulus(), rsa.getPublicExponent())
          .algorithm(JWSAlgorithm.RS256).keyUse(KeyUse.SIGNATURE);
      return (rsa.getKeyID() != null ? b.keyID(rsa.getKeyID()) : b).build();
    }
    if (key instanceof ECKey ec) {
      if (!Curve.P_256.equals(ec.getCurve())) {
        skipped.add(name + ": curve " + ec.getCurve() + " (only P-256)");
        return null;
      }
      if (!allowed(ec, JWSAlgorithm.ES256)) {
        skipped.add(name + ": alg '" + ec.getAlgorithm() + "' on a P-256 key (only ES256)");
        return null;
      }
      ECKey.Builder b = new ECKey.Builder(Curve.P_256, ec.getX(), ec.getY())
          .algorithm(JWSAlgorithm.ES256).keyUse(KeyUse.SIGNATURE);
      return (ec.getKeyID() != null ? b.keyID(ec.getKeyID()) : b).build();
    }
    skipped.add(name + ": kty " + key.getKeyType() + " is not accepted (only RSA and EC signing keys)");
    return null;
  }

  private static boolean allowed(JWK key, JWSAlgorithm only) {
    return key.getAlgorithm() == null || only.getName().equals(key.getAlgorithm().getName());
  }
}

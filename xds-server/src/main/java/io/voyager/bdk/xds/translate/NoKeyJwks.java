package io.voyager.bdk.xds.translate;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.util.Base64URL;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.spec.ECFieldFp;
import java.security.spec.ECParameterSpec;
import java.util.List;

/**
 * A JWKS that verifies nothing, for the jwt_authn provider while the gateway has no usable key.
 * Envoy refuses an empty or malformed inline JWKS (the whole listener would be NACKed and the
 * previous keys stay in force), so the provider gets one P-256 public key nobody holds the private
 * key of: its x coordinate is SHA-256 of a fixed sentence (the first x at or above it that is on the
 * curve), a "nothing up my sleeve" point whose discrete logarithm no one knows. Deterministic, so
 * its config versions the same on every replica. While the keys are unavailable the library routes
 * answer 401 themselves; this key only keeps the listener from accepting anything in the moment
 * Envoy holds new routes with an old listener or the reverse.
 */
final class NoKeyJwks {
  private NoKeyJwks() {}

  static final String KEY_ID = "bdk-no-key";
  static final String SEED = "bdk gateway: a P-256 point whose private key nobody knows";

  /** {@code {"keys":[…]}} holding only that key. */
  static final String JSON = build();

  private static String build() {
    ECParameterSpec spec = Curve.P_256.toECParameterSpec();
    BigInteger p = ((ECFieldFp) spec.getCurve().getField()).getP();
    BigInteger a = spec.getCurve().getA();
    BigInteger b = spec.getCurve().getB();
    BigInteger x = new BigInteger(1, sha256(SEED)).mod(p);
    BigInteger exponent = p.add(BigInteger.ONE).shiftRight(2); // p ≡ 3 (mod 4): a square root is rhs^((p+1)/4)
    while (true) {
      BigInteger rhs = x.pow(3).add(a.multiply(x)).add(b).mod(p);
      BigInteger y = rhs.modPow(exponent, p);
      if (y.multiply(y).mod(p).equals(rhs)) {
        ECKey key = new ECKey.Builder(Curve.P_256, coordinate(x), coordinate(y))
            .keyID(KEY_ID).algorithm(JWSAlgorithm.ES256).keyUse(KeyUse.SIGNATURE).build();
        return new JWKSet(List.of(key)).toString(true);
      }
      x = x.add(BigInteger.ONE).mod(p);
    }
  }

  private static Base64URL coordinate(BigInteger value) {
    byte[] raw = value.toByteArray();
    byte[] fixed = new byte[32];
    int copy = Math.min(raw.length, 32);
    System.arraycopy(raw, raw.length - copy, fixed, 32 - copy, copy);
    return Base64URL.encode(fixed);
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

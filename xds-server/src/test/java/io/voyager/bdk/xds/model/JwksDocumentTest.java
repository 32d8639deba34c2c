package io.voyager.bdk.xds.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JwksDocumentTest {
  static final String SOURCE = "ConfigMap bdk/bdk-jwks key jwks.json";
  static final RSAKey RSA = generateRsa(2048, "rsa-1");
  static final JWK EC = generate(() -> new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate());

  static RSAKey generateRsa(int bits, String kid) {
    return (RSAKey) generate(() -> new RSAKeyGenerator(bits, true).keyID(kid).generate());
  }

  interface KeySupplier {
    JWK get() throws Exception;
  }

  static JWK generate(KeySupplier supplier) {
    try {
      return supplier.get();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static String jwks(JWK... keys) {
    return new JWKSet(List.of(keys)).toString(false);
  }

  static JWKSet kept(JwksDocument document) throws Exception {
    assertThat(document).isInstanceOf(JwksDocument.Keys.class);
    return JWKSet.parse(((JwksDocument.Keys) document).json());
  }

  @Test
  void rsaAndP256KeysAreKeptPublicOnlyWithTheirAlgorithmPinned() throws Exception {
    JwksDocument document = JwksDocument.parse(SOURCE, jwks(RSA, EC)); // private parts included on purpose

    JWKSet kept = kept(document);
    assertThat(kept.getKeys()).hasSize(2).noneMatch(JWK::isPrivate);
    assertThat(kept.getKeyByKeyId("rsa-1").getAlgorithm()).isEqualTo(JWSAlgorithm.RS256);
    assertThat(kept.getKeyByKeyId("ec-1").getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
    assertThat(kept.getKeys()).allMatch(k -> KeyUse.SIGNATURE.equals(k.getKeyUse()));
    assertThat(((RSAKey) kept.getKeyByKeyId("rsa-1")).getModulus()).isEqualTo(RSA.getModulus());
    assertThat(((JwksDocument.Keys) document).json()).doesNotContain("\"d\"", "\"p\"", "\"q\"");
    assertThat(((JwksDocument.Keys) document).keyIds()).containsExactly("rsa-1", "ec-1");
    assertThat(JwksDocument.parse(SOURCE, jwks(RSA, EC))).as("deterministic").isEqualTo(document);
  }

  @Test
  void symmetricWeakEncryptionAndForeignAlgorithmKeysAreLeftOutNamingWhy() throws Exception {
    OctetSequenceKey oct = (OctetSequenceKey) generate(() -> new OctetSequenceKeyGenerator(256).keyID("hmac").generate());
    RSAKey weak = generateRsa(1024, "weak");
    RSAKey encryption = new RSAKey.Builder(generateRsa(2048, "enc")).keyUse(KeyUse.ENCRYPTION).build();
    RSAKey rs512 = new RSAKey.Builder(generateRsa(2048, "rs512")).algorithm(JWSAlgorithm.RS512).build();
    JWK p384 = generate(() -> new ECKeyGenerator(Curve.P_384).keyID("p384").generate());

    JwksDocument document = JwksDocument.parse(SOURCE, jwks(oct, weak, encryption, rs512, p384, EC));

    assertThat(kept(document).getKeys()).extracting(JWK::getKeyID).containsExactly("ec-1");
    assertThat(((JwksDocument.Keys) document).skipped()).containsExactly(
        "keys[0] (kid hmac): kty oct is not accepted (only RSA and EC signing keys)",
        "keys[1] (kid weak): RSA modulus of 1024 bits (at least 2048)",
        "keys[2] (kid enc): use 'enc' is not sig",
        "keys[3] (kid rs512): alg 'RS512' on an RSA key (only RS256)",
        "keys[4] (kid p384): curve P-384 (only P-256)");
  }

  @Test
  void onlySymmetricKeysMeansNoUsableKeyNamingTheSourceAndWhy() {
    OctetSequenceKey oct = (OctetSequenceKey) generate(() -> new OctetSequenceKeyGenerator(256).keyID("hmac").generate());

    JwksDocument document = JwksDocument.parse(SOURCE, jwks(oct));

    assertThat(document).isInstanceOf(JwksDocument.Unavailable.class);
    assertThat(((JwksDocument.Unavailable) document).reason())
        .startsWith(SOURCE + ": no usable signing key")
        .contains("kty oct is not accepted");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "not json", "{\"keys\": 7}", "{\"keys\": []}", "[1,2]",
      "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\",\"y\":\"AAAA\"}]}",
      "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}"})
  void anythingElseIsUnavailableNamingTheSource(String content) {
    JwksDocument document = JwksDocument.parse(SOURCE, content);

    assertThat(document).isInstanceOf(JwksDocument.Unavailable.class);
    assertThat(((JwksDocument.Unavailable) document).reason()).startsWith(SOURCE + ": ");
  }

  @Test
  void aMissingKeyIsUnavailable() {
    assertThat(JwksDocument.parse(SOURCE, null)).isEqualTo(new JwksDocument.Unavailable(SOURCE + ": missing or empty"));
  }

  @Test
  void anOversizedDocumentIsRefusedUnparsed() {
    String huge = "{\"keys\":[],\"pad\":\"" + "x".repeat(JwksDocument.MAX_BYTES) + "\"}";
    assertThat(((JwksDocument.Unavailable) JwksDocument.parse(SOURCE, huge)).reason()).contains("larger than");
  }
}

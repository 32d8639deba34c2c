package io.voyager.bdk.support.tls;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;

/**
 * A small X.509 certificate authority (ECDSA P-256, SHA-256) for the local stack and tests: a
 * self-signed CA that issues server and client certificates with DNS, IP and URI subject
 * alternative names. Real certificates — Envoy, Netty and curl verify them like any other. In a
 * cluster cert-manager plays this part (k8s/cert-manager); this class writes the same layout
 * ({@link IssuedCertificate#writeTo}: {@code tls.crt}, {@code tls.key}, {@code ca.crt}).
 */
public final class CertificateAuthority {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final X509Certificate certificate;
  private final PrivateKey key;

  private CertificateAuthority(X509Certificate certificate, PrivateKey key) {
    this.certificate = certificate;
    this.key = key;
  }

  /** What a certificate may be used for (extended key usage). */
  public enum Usage { SERVER, CLIENT }

  /** A new self-signed CA named {@code commonName}, valid from now for {@code validity}. */
  public static CertificateAuthority create(String commonName, Duration validity) {
    try {
      KeyPair pair = newKeyPair();
      X500Name name = new X500Name("CN=" + commonName);
      Instant now = Instant.now();
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(),
          Date.from(now.minusSeconds(60)), Date.from(now.plus(validity)), name, pair.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      builder.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
      return new CertificateAuthority(sign(builder, pair.getPrivate()), pair.getPrivate());
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot create a CA: " + e.getMessage(), e);
    }
  }

  /** A CA read back from {@link #writeTo}'s files ({@code ca.crt}, {@code ca.key} in {@code dir}). */
  public static CertificateAuthority load(Path dir) throws IOException {
    try {
      X509Certificate cert = Pem.certificates(Files.readString(dir.resolve("ca.crt"))).get(0);
      PrivateKey key = Pem.privateKey(Files.readString(dir.resolve("ca.key")));
      return new CertificateAuthority(cert, key);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IOException("cannot read the CA in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Writes {@code ca.crt} and {@code ca.key} (owner-only) into {@code dir}. */
  public void writeTo(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("ca.crt"), certificatePem());
    OwnerOnlyFiles.write(dir.resolve("ca.key"), Pem.encode(key));
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /** The CA certificate, PEM: what a peer is told to trust. */
  public String certificatePem() {
    return Pem.encode(certificate);
  }

  /**
   * A certificate for {@code commonName} with the given subject alternative names (DNS names, IP
   * literals, URIs such as {@code spiffe://bdk/envoy/bdk-gateway}), usable as {@code usages}.
   */
  public IssuedCertificate issue(String commonName, List<String> dnsNames, List<String> ipAddresses, List<String> uris,
      Set<Usage> usages, Duration validity) {
    try {
      KeyPair pair = newKeyPair();
      Instant now = Instant.now();
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, serial(),
          Date.from(now.minusSeconds(60)), Date.from(now.plus(validity)), new X500Name("CN=" + commonName),
          pair.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      List<KeyPurposeId> purposes = new ArrayList<>();
      if (usages.contains(Usage.SERVER)) {
        purposes.add(KeyPurposeId.id_kp_serverAuth);
      }
      if (usages.contains(Usage.CLIENT)) {
        purposes.add(KeyPurposeId.id_kp_clientAuth);
      }
      builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes.toArray(KeyPurposeId[]::new)));
      List<GeneralName> names = new ArrayList<>();
      dnsNames.forEach(dns -> names.add(new GeneralName(GeneralName.dNSName, dns)));
      for (String ip : ipAddresses) {
        if (!ip.matches("[0-9a-fA-F.:]+")) {
          throw new IllegalArgumentException("not an IP literal: " + ip);
        }
        names.add(new GeneralName(GeneralName.iPAddress, InetAddress.getByName(ip).getHostAddress()));
      }
      uris.forEach(uri -> names.add(new GeneralName(GeneralName.uniformResourceIdentifier, uri)));
      if (!names.isEmpty()) {
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
      }
      builder.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
      X509Certificate issued = sign(builder, key);
      return new IssuedCertificate(Pem.encode(issued), Pem.encode(pair.getPrivate()), certificatePem());
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot issue a certificate for " + commonName + ": " + e.getMessage(), e);
    }
  }

  /**
   * An issued certificate as cert-manager writes a {@code kubernetes.io/tls} Secret: the
   * certificate ({@code tls.crt}), its PKCS#8 private key ({@code tls.key}) and the issuing CA
   * ({@code ca.crt}), all PEM.
   */
  public record IssuedCertificate(String certificatePem, String privateKeyPem, String caPem) {
    /** Writes {@code tls.crt}, {@code tls.key} (owner-only) and {@code ca.crt} into {@code dir}. */
    public Path writeTo(Path dir) throws IOException {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("tls.crt"), certificatePem);
      OwnerOnlyFiles.write(dir.resolve("tls.key"), privateKeyPem);
      Files.writeString(dir.resolve("ca.crt"), caPem);
      return dir;
    }

    /** The files {@link #writeTo} wrote in {@code dir}. */
    public static TlsFiles files(Path dir) {
      return new TlsFiles(dir.resolve("tls.crt"), dir.resolve("tls.key"), dir.resolve("ca.crt"));
    }

    @Override
    public String toString() {
      return "IssuedCertificate[key hidden]";
    }
  }

  private static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return generator.generateKeyPair();
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key)
      throws OperatorCreationException, GeneralSecurityException {
    ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(key);
    X509CertificateHolder holder = builder.build(signer);
    return new JcaX509CertificateConverter().getCertificate(holder);
  }

  /** PEM reading and writing of certificates and private keys (PKCS#8, PKCS#1 and SEC1 read). */
  public static final class Pem {
    private Pem() {}

    public static String encode(Object object) {
      StringWriter out = new StringWriter();
      try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
        if (object instanceof PrivateKey key) {
          writer.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key, null));
        } else {
          writer.writeObject(object);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return out.toString();
    }

    /** Every certificate in {@code pem}, in order; an error naming what is wrong otherwise. */
    public static List<X509Certificate> certificates(String pem) throws GeneralSecurityException {
      List<X509Certificate> certificates = new ArrayList<>();
      try (PEMParser parser = new PEMParser(new StringReader(pem))) {
        Object object;
        while ((object = parser.readObject()) != null) {
          if (object instanceof X509CertificateHolder holder) {
            certificates.add(new JcaX509CertificateConverter().getCertificate(holder));
          } else {
            throw new GeneralSecurityException("a " + object.getClass().getSimpleName() + " where a certificate was expected");
          }
        }
      } catch (IOException e) {
        throw new GeneralSecurityException("not PEM: " + e.getMessage(), e);
      }
      if (certificates.isEmpty()) {
        throw new GeneralSecurityException("no PEM certificate found");
      }
      return certificates;
    }

    /** The one private key in {@code pem} (PKCS#8 "PRIVATE KEY", "RSA PRIVATE KEY" or "EC PRIVATE KEY"). */
    public static PrivateKey privateKey(String pem) throws GeneralSecurityException {
      try (PEMParser parser = new PEMParser(new StringReader(pem))) {
        Object object = parser.readObject();
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        if (object instanceof PEMKeyPair pair) {
          return converter.getPrivateKey(pair.getPrivateKeyInfo());
        }
        if (object instanceof PrivateKeyInfo info) {
          return converter.getPrivateKey(info);
        }
        throw new GeneralSecurityException(object == null ? "no PEM private key found"
            : "a " + object.getClass().getSimpleName() + " where an unencrypted private key was expected");
      } catch (IOException e) {
        throw new GeneralSecurityException("not PEM: " + e.getMessage(), e);
      }
    }
  }
}

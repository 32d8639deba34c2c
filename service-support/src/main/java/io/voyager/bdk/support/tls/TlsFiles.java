package io.voyager.bdk.support.tls;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A peer's certificate chain and private key, and the CA it trusts for the other side, as files
 * in cert-manager's layout ({@code tls.crt}, {@code tls.key}, {@code ca.crt} of a mounted
 * {@code kubernetes.io/tls} Secret). The key must be PKCS#8 PEM ({@code BEGIN PRIVATE KEY};
 * cert-manager: {@code privateKey.encoding: PKCS8}).
 */
public record TlsFiles(Path certificate, Path privateKey, Path trustedCa) {
  public TlsFiles {
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(privateKey, "privateKey");
    Objects.requireNonNull(trustedCa, "trustedCa");
  }

  /** The three files of a mounted Secret directory. */
  public static TlsFiles inDirectory(Path dir) {
    return new TlsFiles(dir.resolve("tls.crt"), dir.resolve("tls.key"), dir.resolve("ca.crt"));
  }

  /** Throws naming the first file that cannot be read, and the flag that named it. */
  public void requireReadable(String certificateFlag, String keyFlag, String caFlag) {
    requireReadable(certificate, certificateFlag);
    requireReadable(privateKey, keyFlag);
    requireReadable(trustedCa, caFlag);
  }

  private static void requireReadable(Path file, String flag) {
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException(flag + ": " + file + " is not a readable file");
    }
  }
}

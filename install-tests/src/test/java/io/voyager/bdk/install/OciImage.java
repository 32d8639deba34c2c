package io.voyager.bdk.install;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * An OCI image layout tarball (what Jib's buildTar writes with format OCI), read the way a
 * registry or runtime would: index.json → manifest → config and layers, each blob checked against
 * its digest. Only the application layers' file lists are read (the base layer is large).
 */
final class OciImage {
  private static final ObjectMapper JSON = new ObjectMapper();

  final String manifestDigest;
  final String refName;
  final JsonNode manifest;
  final JsonNode config;
  /** Layer digests in order. */
  final List<String> layers;
  private final Map<String, Path> blobs;

  private OciImage(String manifestDigest, String refName, JsonNode manifest, JsonNode config, List<String> layers,
      Map<String, Path> blobs) {
    this.manifestDigest = manifestDigest;
    this.refName = refName;
    this.manifest = manifest;
    this.config = config;
    this.layers = layers;
    this.blobs = blobs;
  }

  /** Unpacks the tarball's blobs into {@code scratch} and reads the image. */
  static OciImage read(Path tarball, Path scratch) throws IOException {
    Map<String, Path> files = new HashMap<>();
    try (var in = new TarArchiveInputStream(Files.newInputStream(tarball))) {
      TarArchiveEntry entry;
      while ((entry = in.getNextEntry()) != null) {
        if (!entry.isFile()) {
          continue;
        }
        Path target = scratch.resolve(entry.getName().replace('/', '_'));
        Files.copy(in, target);
        files.put(entry.getName(), target);
      }
    }
    JsonNode index = JSON.readTree(files.get("index.json").toFile());
    if (!files.containsKey("oci-layout")) {
      throw new AssertionError(tarball + " has no oci-layout: not an OCI image layout");
    }
    Map<String, Path> blobs = new HashMap<>();
    files.forEach((name, path) -> {
      if (name.startsWith("blobs/sha256/")) {
        String digest = "sha256:" + name.substring("blobs/sha256/".length());
        String actual = sha256(path);
        if (!digest.equals(actual)) {
          throw new AssertionError(tarball + ": blob " + name + " has digest " + actual);
        }
        blobs.put(digest, path);
      }
    });
    JsonNode descriptor = index.get("manifests").get(0);
    String manifestDigest = descriptor.get("digest").asText();
    JsonNode manifest = JSON.readTree(blobs.get(manifestDigest).toFile());
    JsonNode config = JSON.readTree(blobs.get(manifest.get("config").get("digest").asText()).toFile());
    List<String> layers = new ArrayList<>();
    manifest.get("layers").forEach(l -> layers.add(l.get("digest").asText()));
    String refName = descriptor.path("annotations").path("org.opencontainers.image.ref.name").asText(null);
    return new OciImage(manifestDigest, refName, manifest, config, layers, blobs);
  }

  /** The layer's entries: path (no leading ./ or /) → tar entry mode (with owner in {@link Entry}). */
  Map<String, Entry> files(String layerDigest) throws IOException {
    Map<String, Entry> out = new LinkedHashMap<>();
    try (InputStream raw = Files.newInputStream(blobs.get(layerDigest));
        var in = new TarArchiveInputStream(new GZIPInputStream(raw))) {
      TarArchiveEntry entry;
      while ((entry = in.getNextEntry()) != null) {
        String name = entry.getName().replaceFirst("^\\./", "").replaceFirst("^/", "");
        byte[] content = entry.isFile() && entry.getSize() < 64 * 1024 ? in.readAllBytes() : null;
        out.put(name, new Entry(entry.getMode(), entry.getLongUserId(), entry.getLongGroupId(), entry.isDirectory(), content));
      }
    }
    return out;
  }

  record Entry(int mode, long uid, long gid, boolean directory, byte[] smallContent) {
    boolean worldWritable() {
      return (mode & 0002) != 0;
    }

    String text() {
      return smallContent == null ? null : new String(smallContent, java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  JsonNode containerConfig() {
    return config.get("config");
  }

  /** The history entries that made layers (empty_layer ones left out), in layer order. */
  List<JsonNode> layerHistory() {
    List<JsonNode> out = new ArrayList<>();
    config.path("history").forEach(h -> {
      if (!h.path("empty_layer").asBoolean(false)) {
        out.add(h);
      }
    });
    return out;
  }

  static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 16];
      int n;
      while ((n = in.read(buffer)) > 0) {
        digest.update(buffer, 0, n);
      }
      return "sha256:" + HexFormat.of().formatHex(digest.digest());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

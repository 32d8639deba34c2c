package io.voyager.bdk.controller.desired;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Maps a book's runtime to its container image, and rewrites every image to one registry when the
 * cluster pulls from a private or air-gapped mirror. Keys are {@code language} or
 * {@code language:version} (the more specific wins), e.g. {@code python=voyager/book-runtime-python:3.11}.
 */
public final class ImageResolver {
  private final Map<String, String> imagesByRuntime;
  private final String registry;

  /**
   * @param imagesByRuntime runtime key → image reference
   * @param registry registry host (and optional path) that replaces each image's own, or null
   */
  public ImageResolver(Map<String, String> imagesByRuntime, String registry) {
    Map<String, String> normalized = new LinkedHashMap<>();
    imagesByRuntime.forEach((k, v) -> normalized.put(k.toLowerCase(Locale.ROOT), v));
    this.imagesByRuntime = Map.copyOf(normalized);
    this.registry = registry == null || registry.isBlank() ? null : registry.replaceAll("/+$", "");
  }

  public static ImageResolver defaults() {
    return new ImageResolver(Map.of("python", "voyager/book-runtime-python:3.11"), null);
  }

  /** Parses {@code --runtime-image} values ({@code key=image}); a value without '=' is an error naming it. */
  public static Map<String, String> parseRuntimeImages(Iterable<String> flags) {
    Map<String, String> images = new LinkedHashMap<>();
    for (String flag : flags) {
      int eq = flag.indexOf('=');
      if (eq <= 0 || eq == flag.length() - 1) {
        throw new IllegalArgumentException(
            "--runtime-image must be RUNTIME=IMAGE (e.g. python=voyager/book-runtime-python:3.11); got '"
                + flag + "'");
      }
      images.put(flag.substring(0, eq).trim(), flag.substring(eq + 1).trim());
    }
    return images;
  }

  /** The image for {@code language} (and {@code version}), with the registry override applied. */
  public Optional<String> imageFor(String language, String version) {
    if (language == null) {
      return Optional.empty();
    }
    String lang = language.toLowerCase(Locale.ROOT);
    String image = version == null ? null : imagesByRuntime.get(lang + ":" + version.toLowerCase(Locale.ROOT));
    if (image == null) {
      image = imagesByRuntime.get(lang);
    }
    return Optional.ofNullable(image).map(this::withRegistry);
  }

  /** Known runtime keys, for error messages. */
  public String knownRuntimes() {
    return String.join(", ", imagesByRuntime.keySet().stream().sorted().toList());
  }

  /**
   * Replaces the registry of {@code image} with the override: {@code voyager/x:1} →
   * {@code mirror:5000/voyager/x:1}; {@code ghcr.io/a/b:1} → {@code mirror:5000/a/b:1}.
   */
  public String withRegistry(String image) {
    if (registry == null) {
      return image;
    }
    int slash = image.indexOf('/');
    if (slash > 0) {
      String first = image.substring(0, slash);
      boolean hasRegistry = first.contains(".") || first.contains(":") || first.equals("localhost");
      if (hasRegistry) {
        return registry + image.substring(slash);
      }
    }
    return registry + "/" + image;
  }
}

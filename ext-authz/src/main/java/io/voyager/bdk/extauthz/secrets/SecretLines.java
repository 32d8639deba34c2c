package io.voyager.bdk.extauthz.secrets;

import java.util.Arrays;
import java.util.List;

/** A Secret value holding one signing secret per line; blank lines and surrounding spaces are ignored. */
public final class SecretLines {
  private SecretLines() {}

  public static List<String> parse(String value) {
    if (value == null) {
      return List.of();
    }
    return Arrays.stream(value.split("\r?\n")).map(String::strip).filter(s -> !s.isEmpty()).toList();
  }
}

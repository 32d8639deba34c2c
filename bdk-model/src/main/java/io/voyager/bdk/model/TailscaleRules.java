package io.voyager.bdk.model;

import io.voyager.bdk.model.BookInstanceDefinitionSpec.Credential;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.Tailscale;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The rules for an instance's {@code networking.tailscale}, in one place for the library's request
 * validation and the controller's instance validation:
 * <ul>
 *   <li>{@code tags}: each {@code tag:<name>} (or a bare {@code <name>}, advertised as
 *       {@code tag:<name>}, as the seed writes them), {@code <name>} a DNS label — lowercase letters,
 *       digits and '-', at most 63 characters, starting and ending alphanumeric — and at most
 *       {@value #MAX_TAGS} of them. Nothing else reaches the sidecar's {@code TS_EXTRA_ARGS}: no
 *       space, comma or '-' at the start could smuggle another {@code tailscale up} flag in.</li>
 *   <li>{@code tailnet}: the tailnet's DNS name as Tailscale shows it ({@code acme-corp.ts.net},
 *       {@code tail1234.ts.net}); a single label {@code acme-corp} means {@code acme-corp.ts.net}.
 *       The auth key decides which tailnet the sidecar joins; the controller checks the device it
 *       joined as ({@code device_fqdn} in its state Secret) is in this tailnet and says so when not.</li>
 *   <li>{@code mode}: {@code userspace} (default) or {@code kernel} (root with NET_ADMIN, only where
 *       the operator allows it on the controller).</li>
 *   <li>enabled: the instance must have a credential named {@value InstanceCredentials#TAILSCALE_AUTH_KEY}, the auth
 *       key the sidecar joins with (only the sidecar gets it).</li>
 * </ul>
 * Pure.
 */
public final class TailscaleRules {
  private TailscaleRules() {}

  public static final String USERSPACE = "userspace";
  public static final String KERNEL = "kernel";
  public static final int MAX_TAGS = 16;
  /** Tailscale's own domain for tailnet DNS names. */
  public static final String TS_NET = "ts.net";

  private static final String TAG_PREFIX = "tag:";
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  /** Why {@code tag} cannot be advertised, or empty when it can. */
  public static Optional<String> tagProblem(String tag) {
    if (tag == null || tag.isEmpty()) {
      return Optional.of("must not be empty");
    }
    String name = tag.startsWith(TAG_PREFIX) ? tag.substring(TAG_PREFIX.length()) : tag;
    if (!LABEL.matcher(name).matches()) {
      return Optional.of("must be 'tag:' followed by a DNS label (lowercase letters, digits and '-', at most 63, "
          + "starting and ending with a letter or digit), e.g. tag:customer; got '" + tag + "'");
    }
    return Optional.empty();
  }

  /** The tag as {@code tailscale up --advertise-tags} takes it: {@code tag:<name>}. Only for a tag without a problem. */
  public static String advertisedTag(String tag) {
    return tag.startsWith(TAG_PREFIX) ? tag : TAG_PREFIX + tag;
  }

  /** Why {@code tailnet} is not a tailnet DNS name, or empty when it is one (or absent). */
  public static Optional<String> tailnetProblem(String tailnet) {
    if (tailnet == null || tailnet.isEmpty()) {
      return Optional.empty();
    }
    String name = tailnet.endsWith(".") ? tailnet.substring(0, tailnet.length() - 1) : tailnet;
    boolean valid = name.length() <= 253;
    for (String label : name.split("\\.", -1)) {
      valid &= LABEL.matcher(label).matches();
    }
    return valid ? Optional.empty() : Optional.of("must be the tailnet's DNS name, e.g. acme-corp.ts.net "
        + "(lowercase DNS labels separated by dots; a single label means <label>." + TS_NET + "); got '" + tailnet + "'");
  }

  /** The tailnet's DNS domain: {@code acme-corp} → {@code acme-corp.ts.net}; a dotted name as it is. Only for a valid name. */
  public static String tailnetDomain(String tailnet) {
    String name = tailnet.toLowerCase(Locale.ROOT);
    name = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    return name.contains(".") ? name : name + "." + TS_NET;
  }

  /** Whether a device named {@code deviceFqdn} (as containerboot writes it, maybe with a final dot) is in {@code tailnet}. */
  public static boolean inTailnet(String deviceFqdn, String tailnet) {
    String fqdn = deviceFqdn.toLowerCase(Locale.ROOT);
    fqdn = fqdn.endsWith(".") ? fqdn.substring(0, fqdn.length() - 1) : fqdn;
    return fqdn.endsWith("." + tailnetDomain(tailnet));
  }

  /** The tailnet part of a device's FQDN ({@code book.acme.ts.net.} → {@code acme.ts.net}). */
  public static String tailnetOf(String deviceFqdn) {
    String fqdn = deviceFqdn.endsWith(".") ? deviceFqdn.substring(0, deviceFqdn.length() - 1) : deviceFqdn;
    int dot = fqdn.indexOf('.');
    return dot < 0 ? fqdn : fqdn.substring(dot + 1);
  }

  /** Why {@code mode} is not a sidecar mode, or empty when it is one (or absent: the controller's default). */
  public static Optional<String> modeProblem(String mode) {
    if (mode == null || mode.isEmpty() || USERSPACE.equals(mode) || KERNEL.equals(mode)) {
      return Optional.empty();
    }
    return Optional.of("must be '" + USERSPACE + "' or '" + KERNEL + "'; got '" + mode + "'");
  }

  /** A Tailscale instance runs this many replicas at most: its sidecar keeps one tailnet device in one state Secret. */
  public static final int MAX_REPLICAS = 1;

  /**
   * Why {@code replicas} (an instance's replica count or its autoscaler's maximum) is too many for
   * an instance with Tailscale on, or empty when it fits (null and 0 fit: the default and "unset").
   */
  public static Optional<String> replicasProblem(Integer replicas) {
    if (replicas == null || replicas <= MAX_REPLICAS) {
      return Optional.empty();
    }
    return Optional.of("a Tailscale instance runs " + MAX_REPLICAS + " replica (its sidecar keeps one tailnet device, in one"
        + " state Secret); got " + replicas);
  }

  /** Whether {@code tailscale} is switched on. */
  public static boolean enabled(Tailscale tailscale) {
    return tailscale != null && Boolean.TRUE.equals(tailscale.enabled());
  }

  /**
   * Every problem of an instance's Tailscale settings, with fields relative to the instance spec
   * ({@code networking.tailscale.tags[1]}, {@code credentials}); none when absent or valid.
   */
  public static List<FieldProblem> problems(Tailscale tailscale, List<Credential> credentials) {
    List<FieldProblem> problems = new ArrayList<>();
    if (tailscale == null) {
      return problems;
    }
    String f = "networking.tailscale.";
    List<String> tags = tailscale.tags() == null ? List.of() : tailscale.tags();
    if (tags.size() > MAX_TAGS) {
      problems.add(new FieldProblem(f + "tags", "must have at most " + MAX_TAGS + " tags; got " + tags.size()));
    } else {
      for (int i = 0; i < tags.size(); i++) {
        int index = i;
        tagProblem(tags.get(i)).ifPresent(p -> problems.add(new FieldProblem(f + "tags[" + index + "]", p)));
      }
    }
    tailnetProblem(tailscale.tailnet()).ifPresent(p -> problems.add(new FieldProblem(f + "tailnet", p)));
    modeProblem(tailscale.mode()).ifPresent(p -> problems.add(new FieldProblem(f + "mode", p)));
    boolean hasKey = credentials != null && credentials.stream()
        .anyMatch(c -> c != null && InstanceCredentials.TAILSCALE_AUTH_KEY.equals(c.name()));
    if (enabled(tailscale) && !hasKey) {
      problems.add(new FieldProblem("credentials", "enabling networking.tailscale requires a credential named '"
          + InstanceCredentials.TAILSCALE_AUTH_KEY + "' (the Tailscale auth key the sidecar joins the tailnet with)"));
    }
    return problems;
  }
}

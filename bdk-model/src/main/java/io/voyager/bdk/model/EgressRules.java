package io.voyager.bdk.model;

import io.voyager.bdk.model.BookInstanceDefinitionSpec.EgressPort;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.EgressRule;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The rules for an instance's {@code networking.egress}: each entry's {@code cidr} is an IPv4 or
 * IPv6 network in CIDR notation with no host bits set ({@code 10.0.0.0/8}, not {@code 10.0.0.1/8});
 * each {@code except} entry is a network of the same family strictly inside it (as the API server
 * requires of a NetworkPolicy's ipBlock); each port is 1–65535 with protocol TCP (the default), UDP
 * or SCTP. One home for the library's request validation and the controller's instance validation,
 * which prefix the field paths with their own ({@code networking.} / {@code spec.networking.}).
 * Pure: addresses are parsed as literals, never looked up.
 */
public final class EgressRules {
  private EgressRules() {}

  public static final int MAX_RULES = 64;
  public static final int MAX_EXCEPT = 32;
  public static final int MAX_PORTS = 32;
  public static final Set<String> PROTOCOLS = Set.of("TCP", "UDP", "SCTP");
  public static final String DEFAULT_PROTOCOL = "TCP";

  /** A problem with one field, its path relative to {@code networking} (e.g. {@code egress[0].ports[1].port}). */
  public record Problem(String field, String message) {}

  private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9a-fA-F:.]+");

  /** Every problem of {@code rules} (none when null or valid). */
  public static List<Problem> problems(List<EgressRule> rules) {
    List<Problem> problems = new ArrayList<>();
    if (rules == null) {
      return problems;
    }
    if (rules.size() > MAX_RULES) {
      problems.add(new Problem("egress", "must have at most " + MAX_RULES + " rules; got " + rules.size()));
      return problems;
    }
    for (int i = 0; i < rules.size(); i++) {
      String f = "egress[" + i + "]";
      EgressRule rule = rules.get(i);
      if (rule == null) {
        problems.add(new Problem(f, "must not be null"));
        continue;
      }
      Optional<Network> network = network(f + ".cidr", rule.cidr(), problems);
      List<String> except = rule.except() == null ? List.of() : rule.except();
      if (except.size() > MAX_EXCEPT) {
        problems.add(new Problem(f + ".except", "must have at most " + MAX_EXCEPT + " entries; got " + except.size()));
      } else {
        for (int j = 0; j < except.size(); j++) {
          String ef = f + ".except[" + j + "]";
          Optional<Network> inner = network(ef, except.get(j), problems);
          if (inner.isPresent() && network.isPresent() && !network.get().strictlyContains(inner.get())) {
            problems.add(new Problem(ef, "'" + except.get(j) + "' must be a network strictly inside cidr '" + rule.cidr() + "'"));
          }
        }
      }
      List<EgressPort> ports = rule.ports() == null ? List.of() : rule.ports();
      if (ports.size() > MAX_PORTS) {
        problems.add(new Problem(f + ".ports", "must have at most " + MAX_PORTS + " entries; got " + ports.size()));
        continue;
      }
      for (int j = 0; j < ports.size(); j++) {
        String pf = f + ".ports[" + j + "]";
        EgressPort port = ports.get(j);
        if (port == null) {
          problems.add(new Problem(pf, "must not be null"));
          continue;
        }
        if (port.port() == null || port.port() < 1 || port.port() > 65535) {
          problems.add(new Problem(pf + ".port", "must be a port number from 1 to 65535; got " + port.port()));
        }
        if (port.protocol() != null && !port.protocol().isEmpty() && !PROTOCOLS.contains(port.protocol())) {
          problems.add(new Problem(pf + ".protocol", "must be one of SCTP, TCP, UDP (TCP when absent); got '" + brief(port.protocol()) + "'"));
        }
      }
    }
    return problems;
  }

  /** Why {@code cidr} is not a network in CIDR notation, or empty when it is one. */
  public static Optional<String> cidrProblem(String cidr) {
    List<Problem> problems = new ArrayList<>();
    network("", cidr, problems);
    return problems.stream().map(Problem::message).findFirst();
  }

  /** The protocol to use: the given one, or TCP when absent. */
  public static String protocol(EgressPort port) {
    return port.protocol() == null || port.protocol().isEmpty() ? DEFAULT_PROTOCOL : port.protocol();
  }

  /** A parsed network: the address as an unsigned number, its bit length (32 or 128) and prefix. */
  private record Network(BigInteger address, int bits, int prefix) {
    boolean strictlyContains(Network inner) {
      return bits == inner.bits && inner.prefix > prefix
          && address.shiftRight(bits - prefix).equals(inner.address.shiftRight(bits - prefix));
    }
  }

  private static Optional<Network> network(String field, String cidr, List<Problem> problems) {
    if (cidr == null || cidr.isEmpty()) {
      problems.add(new Problem(field, "is required: a network in CIDR notation, e.g. 203.0.113.0/24 or 2001:db8::/32"));
      return Optional.empty();
    }
    String expected = "must be a network in CIDR notation, e.g. 203.0.113.0/24 or 2001:db8::/32; got '" + brief(cidr) + "'";
    int slash = cidr.indexOf('/');
    if (slash <= 0 || slash != cidr.lastIndexOf('/') || slash == cidr.length() - 1 || cidr.length() > 64) {
      problems.add(new Problem(field, expected));
      return Optional.empty();
    }
    String host = cidr.substring(0, slash);
    String length = cidr.substring(slash + 1);
    Optional<byte[]> address = literal(host);
    if (address.isEmpty() || !length.matches("\\d{1,3}")) {
      problems.add(new Problem(field, expected));
      return Optional.empty();
    }
    int bits = address.get().length * 8;
    int prefix = Integer.parseInt(length);
    if (prefix > bits) {
      problems.add(new Problem(field, "prefix length /" + prefix + " is longer than " + bits + " bits; got '" + brief(cidr) + "'"));
      return Optional.empty();
    }
    BigInteger value = new BigInteger(1, address.get());
    BigInteger network = prefix == 0 ? BigInteger.ZERO : value.shiftRight(bits - prefix).shiftLeft(bits - prefix);
    if (!network.equals(value)) {
      problems.add(new Problem(field, "'" + brief(cidr) + "' has host bits set; the network is '"
          + format(network, bits) + "/" + prefix + "'"));
      return Optional.empty();
    }
    return Optional.of(new Network(value, bits, prefix));
  }

  /** An IPv4 or IPv6 literal's bytes (never a name lookup); empty when it is neither. */
  private static Optional<byte[]> literal(String host) {
    var v4 = IPV4.matcher(host);
    if (v4.matches()) {
      byte[] bytes = new byte[4];
      for (int i = 0; i < 4; i++) {
        int octet = Integer.parseInt(v4.group(i + 1));
        if (octet > 255 || (v4.group(i + 1).length() > 1 && v4.group(i + 1).startsWith("0"))) {
          return Optional.empty();
        }
        bytes[i] = (byte) octet;
      }
      return Optional.of(bytes);
    }
    // Only hex digits, ':' and '.' with at least one ':': InetAddress parses it as an IPv6 literal
    // and never resolves a name.
    if (!host.contains(":") || !IPV6_CHARS.matcher(host).matches() || host.charAt(0) == '.') {
      return Optional.empty();
    }
    try {
      byte[] bytes = InetAddress.getByName(host).getAddress();
      return bytes.length == 16 ? Optional.of(bytes) : Optional.of(mapped(bytes));
    } catch (UnknownHostException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** {@code ::ffff:a.b.c.d} comes back from InetAddress as IPv4; keep it IPv6 as written. */
  private static byte[] mapped(byte[] v4) {
    byte[] v6 = new byte[16];
    v6[10] = (byte) 0xff;
    v6[11] = (byte) 0xff;
    System.arraycopy(v4, 0, v6, 12, 4);
    return v6;
  }

  private static String format(BigInteger value, int bits) {
    byte[] raw = value.toByteArray();
    byte[] bytes = new byte[bits / 8];
    int copy = Math.min(raw.length, bytes.length);
    System.arraycopy(raw, raw.length - copy, bytes, bytes.length - copy, copy);
    try {
      String text = InetAddress.getByAddress(bytes).getHostAddress();
      return bits == 128 ? compress(text) : text;
    } catch (UnknownHostException e) {
      return value.toString();
    }
  }

  /** Java prints IPv6 in full ({@code 2001:db8:0:0:0:0:0:0}); shorten the longest run of zero groups. */
  private static String compress(String full) {
    String[] groups = full.split(":");
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; i < groups.length; ) {
      if (!groups[i].equals("0")) {
        i++;
        continue;
      }
      int j = i;
      while (j < groups.length && groups[j].equals("0")) {
        j++;
      }
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j;
    }
    if (bestStart < 0) {
      return full;
    }
    String head = String.join(":", Arrays.copyOfRange(groups, 0, bestStart));
    String tail = String.join(":", Arrays.copyOfRange(groups, bestStart + bestLength, groups.length));
    return head + "::" + tail;
  }

  private static String brief(String value) {
    return value.length() > 64 ? value.substring(0, 64) + "…" : value;
  }
}

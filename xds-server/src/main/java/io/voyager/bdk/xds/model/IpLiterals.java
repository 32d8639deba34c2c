package io.voyager.bdk.xds.model;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * What Envoy accepts as an endpoint address: an IPv4 or IPv6 literal, never a DNS name. Anything
 * else in an EDS cluster is refused ("malformed IP address"), and that NACK holds back every other
 * cluster's endpoints too. Pure (parsing an IPv6 literal does no lookup).
 */
public final class IpLiterals {
  private IpLiterals() {}

  private static final Pattern IPV4 =
      Pattern.compile("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9a-fA-F:.]+");

  public static boolean isIpLiteral(String address) {
    if (address == null || address.isBlank()) {
      return false;
    }
    if (IPV4.matcher(address).matches()) {
      return true;
    }
    if (!address.contains(":") || !IPV6_CHARS.matcher(address).matches()) {
      return false;
    }
    try {
      return InetAddress.getByName(address) instanceof Inet6Address;
    } catch (UnknownHostException e) {
      return false;
    }
  }
}

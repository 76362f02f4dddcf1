package dev.keyward.policies;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Arrays;

/**
 * Every reason an upstream address can be refused by the SSRF guard, plus {@link #PUBLIC}. Each
 * class has a stable name for logs, metrics and the audit reason.
 */
public enum AddressClass {
  PUBLIC("public"),
  LOOPBACK("loopback"),
  PRIVATE("private"),
  LINK_LOCAL("link_local"),
  CGNAT("cgnat"),
  MULTICAST("multicast"),
  UNSPECIFIED("unspecified"),
  BROADCAST("broadcast"),
  CLOUD_METADATA("cloud_metadata"),
  RESERVED("reserved");

  private static final AddressRange[] METADATA = {
    AddressRange.parse("169.254.169.254/32"), // AWS, GCP, Azure, OpenStack
    AddressRange.parse("168.63.129.16/32"), // Azure wire server (a public address)
    AddressRange.parse("100.100.100.200/32"), // Alibaba Cloud
    AddressRange.parse("fd00:ec2::254/128"), // AWS IPv6
  };

  private static final Object[][] V4 = {
    {"0.0.0.0/8", UNSPECIFIED},
    {"10.0.0.0/8", PRIVATE},
    {"100.64.0.0/10", CGNAT},
    {"127.0.0.0/8", LOOPBACK},
    {"169.254.0.0/16", LINK_LOCAL},
    {"172.16.0.0/12", PRIVATE},
    {"192.0.0.0/24", RESERVED},
    {"192.0.2.0/24", RESERVED},
    {"192.88.99.0/24", RESERVED},
    {"192.168.0.0/16", PRIVATE},
    {"198.18.0.0/15", RESERVED},
    {"198.51.100.0/24", RESERVED},
    {"203.0.113.0/24", RESERVED},
    {"224.0.0.0/4", MULTICAST},
    {"255.255.255.255/32", BROADCAST},
    {"240.0.0.0/4", RESERVED},
  };

  private static final Object[][] V6 = {
    {"::/128", UNSPECIFIED},
    {"::1/128", LOOPBACK},
    {"fe80::/10", LINK_LOCAL},
    {"fec0::/10", PRIVATE},
    {"fc00::/7", PRIVATE},
    {"ff00::/8", MULTICAST},
    {"2001:db8::/32", RESERVED},
    {"100::/64", RESERVED},
    {"2001::/23", RESERVED},
  };

  private static final AddressRange[] V4_RANGES = ranges(V4);
  private static final AddressRange[] V6_RANGES = ranges(V6);
  private static final AddressRange IPV4_COMPATIBLE = AddressRange.parse("::/96");
  /**
   * The first 12 bytes of {@code ::ffff:0:0/96} and {@code ::ffff:0:0:0/96}, written as bytes: the
   * JDK parses such literals into IPv4 addresses.
   */
  private static final byte[] MAPPED_PREFIX = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1};
  private static final byte[] TRANSLATED_PREFIX = {0, 0, 0, 0, 0, 0, 0, 0, -1, -1, 0, 0};
  private static final AddressRange NAT64 = AddressRange.parse("64:ff9b::/96");
  private static final AddressRange NAT64_LOCAL = AddressRange.parse("64:ff9b:1::/48");
  private static final AddressRange SIX_TO_FOUR = AddressRange.parse("2002::/16");
  private static final AddressRange TEREDO = AddressRange.parse("2001::/32");

  private final String label;

  AddressClass(String label) {
    this.label = label;
  }

  /** Stable lower-case name, e.g. {@code cloud_metadata}. */
  public String label() {
    return label;
  }

  /**
   * Classifies {@code address}. An IPv6 address that embeds an IPv4 address is judged by the IPv4
   * address, in every embedding form: mapped ({@code ::ffff:0:0/96}), translated ({@code
   * ::ffff:0:0:0/96}), compatible ({@code ::/96}), NAT64 ({@code 64:ff9b::/96} and the local-use
   * {@code 64:ff9b:1::/48}), 6to4 ({@code 2002::/16}) and Teredo ({@code 2001::/32}, whose client
   * address is stored inverted; a Teredo address with a public client stays reserved).
   */
  public static AddressClass classify(InetAddress address) {
    for (AddressRange metadata : METADATA) {
      if (metadata.contains(address)) {
        return CLOUD_METADATA;
      }
    }
    if (address instanceof Inet4Address) {
      return classify(address, V4, V4_RANGES);
    }
    Inet6Address v6 = (Inet6Address) address;
    byte[] b = v6.getAddress();
    if (hasPrefix(b, MAPPED_PREFIX) || hasPrefix(b, TRANSLATED_PREFIX) || NAT64.contains(v6)
        || (IPV4_COMPATIBLE.contains(v6) && !isZeroOrOne(b))) {
      return classify(v4(b[12], b[13], b[14], b[15]));
    }
    if (NAT64_LOCAL.contains(v6)) { // RFC 6052, /48: octets 1-2 in bytes 6-7, 3-4 in bytes 9-10
      return classify(v4(b[6], b[7], b[9], b[10]));
    }
    if (SIX_TO_FOUR.contains(v6)) {
      return classify(v4(b[2], b[3], b[4], b[5]));
    }
    if (TEREDO.contains(v6)) {
      AddressClass client = classify(v4((byte) ~b[12], (byte) ~b[13], (byte) ~b[14], (byte) ~b[15]));
      return client == PUBLIC ? RESERVED : client;
    }
    return classify(address, V6, V6_RANGES);
  }

  private static AddressClass classify(InetAddress address, Object[][] table, AddressRange[] rs) {
    for (int i = 0; i < rs.length; i++) {
      if (rs[i].contains(address)) {
        return (AddressClass) table[i][1];
      }
    }
    return PUBLIC;
  }

  private static boolean hasPrefix(byte[] address, byte[] prefix) {
    return Arrays.equals(address, 0, prefix.length, prefix, 0, prefix.length);
  }

  private static boolean isZeroOrOne(byte[] b) {
    for (int i = 0; i < 15; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return b[15] == 0 || b[15] == 1;
  }

  private static InetAddress v4(byte a, byte b, byte c, byte d) {
    try {
      return InetAddress.getByAddress(new byte[] {a, b, c, d});
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  private static AddressRange[] ranges(Object[][] table) {
    AddressRange[] out = new AddressRange[table.length];
    for (int i = 0; i < table.length; i++) {
      out[i] = AddressRange.parse((String) table[i][0]);
    }
    return out;
  }
}

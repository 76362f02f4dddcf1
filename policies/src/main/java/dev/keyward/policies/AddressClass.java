package dev.keyward.policies;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

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
  private static final AddressRange NAT64 = AddressRange.parse("64:ff9b::/96");
  private static final AddressRange SIX_TO_FOUR = AddressRange.parse("2002::/16");
  private static final AddressRange IPV4_COMPATIBLE = AddressRange.parse("::/96");

  private final String label;

  AddressClass(String label) {
    this.label = label;
  }

  /** Stable lower-case name, e.g. {@code cloud_metadata}. */
  public String label() {
    return label;
  }

  /** Classifies {@code address}; IPv6 forms that embed an IPv4 address are judged by it. */
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
    if (NAT64.contains(v6) || (IPV4_COMPATIBLE.contains(v6) && !isZeroOrOne(b))) {
      return classify(v4(b, 12));
    }
    if (SIX_TO_FOUR.contains(v6)) {
      return classify(v4(b, 2));
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

  private static boolean isZeroOrOne(byte[] b) {
    for (int i = 0; i < 15; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return b[15] == 0 || b[15] == 1;
  }

  private static InetAddress v4(byte[] b, int offset) {
    try {
      return InetAddress.getByAddress(new byte[] {b[offset], b[offset + 1], b[offset + 2], b[offset + 3]});
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

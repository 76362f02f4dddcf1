package dev.keyward.policies;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.Inet6Address;
import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AddressClassTest {

  @ParameterizedTest
  @CsvSource({
      "127.0.0.1, LOOPBACK",
      "127.255.0.9, LOOPBACK",
      "::1, LOOPBACK",
      "10.0.0.1, PRIVATE",
      "172.16.0.1, PRIVATE",
      "172.31.255.255, PRIVATE",
      "192.168.1.1, PRIVATE",
      "fc00::1, PRIVATE",
      "fd12:3456::1, PRIVATE",
      "169.254.1.1, LINK_LOCAL",
      "fe80::1, LINK_LOCAL",
      "100.64.0.1, CGNAT",
      "224.0.0.1, MULTICAST",
      "ff02::1, MULTICAST",
      "0.0.0.0, UNSPECIFIED",
      "::, UNSPECIFIED",
      "255.255.255.255, BROADCAST",
      "169.254.169.254, CLOUD_METADATA",
      "fd00:ec2::254, CLOUD_METADATA",
      "168.63.129.16, CLOUD_METADATA",
      "100.100.100.200, CLOUD_METADATA",
      "::ffff:127.0.0.1, LOOPBACK",
      "::ffff:169.254.169.254, CLOUD_METADATA",
      "64:ff9b::a00:1, PRIVATE",
      "2002:7f00:1::1, LOOPBACK",
      "::7f00:1, LOOPBACK",
      "192.0.2.1, RESERVED",
      "240.0.0.1, RESERVED",
      "2001:db8::1, RESERVED",
      "8.8.8.8, PUBLIC",
      "104.18.2.3, PUBLIC",
      "2606:4700::1111, PUBLIC",
      "172.32.0.1, PUBLIC",
  })
  void classifiesEveryAddressRange(String address, AddressClass expected) throws Exception {
    assertEquals(expected, AddressClass.classify(InetAddress.getByName(address)));
  }

  /**
   * The IPv4 address an IPv6 address embeds decides its class, in every embedding form. A
   * resolver may answer with a true {@code Inet6Address} in mapped form ({@code
   * InetAddress.getByName} would hand back an {@code Inet4Address} instead and hide the case), so
   * each is built as one.
   */
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "::ffff:127.0.0.1, LOOPBACK",
      "::ffff:169.254.169.254, CLOUD_METADATA",
      "::ffff:10.0.0.1, PRIVATE",
      "::ffff:0:127.0.0.1, LOOPBACK",
      "::127.0.0.1, LOOPBACK",
      "::169.254.169.254, CLOUD_METADATA",
      "64:ff9b::127.0.0.1, LOOPBACK",
      "64:ff9b::169.254.169.254, CLOUD_METADATA",
      "64:ff9b:1:7f00:0:100::, LOOPBACK",
      "64:ff9b:1:a9fe:a9:fe00::, CLOUD_METADATA",
      "2002:a9fe:a9fe::1, CLOUD_METADATA",
      "2002:c0a8:101::1, PRIVATE",
      "2001:0:4136:e378:8000:63bf:80ff:fffe, LOOPBACK",
      "2001:0:4136:e378:8000:63bf:5601:5601, CLOUD_METADATA",
      "2001:0:4136:e378:8000:63bf:f7f7:f7f7, RESERVED",
      "::ffff:8.8.8.8, PUBLIC",
      "64:ff9b::8.8.8.8, PUBLIC",
  })
  void anIpv4AddressEmbeddedInIpv6IsJudgedByItself(String address, AddressClass expected)
      throws Exception {
    byte[] bytes = InetAddress.getByName(address).getAddress();
    if (bytes.length == 4) { // the JDK turned a mapped literal into IPv4: rebuild the IPv6 form
      bytes = new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff,
          bytes[0], bytes[1], bytes[2], bytes[3]};
    }
    InetAddress v6 = Inet6Address.getByAddress(null, bytes, -1);
    assertEquals(expected, AddressClass.classify(v6));
  }
}

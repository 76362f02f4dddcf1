package dev.keyward.policies;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}

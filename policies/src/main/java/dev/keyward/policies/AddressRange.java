package dev.keyward.policies;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/** An IPv4 or IPv6 CIDR range, e.g. {@code 127.0.0.1/32}. Parsing never touches DNS. */
public final class AddressRange {

  private final byte[] network;
  private final int prefixLength;
  private final String text;

  private AddressRange(byte[] network, int prefixLength, String text) {
    this.network = network;
    this.prefixLength = prefixLength;
    this.text = text;
  }

  /**
   * Parses {@code address/prefix}; a bare address means a single host.
   *
   * @throws IllegalArgumentException when the text is not an IP literal range
   */
  public static AddressRange parse(String text) {
    Objects.requireNonNull(text, "text");
    int slash = text.indexOf('/');
    String addressText = slash < 0 ? text : text.substring(0, slash);
    for (int i = 0; i < addressText.length(); i++) {
      char c = addressText.charAt(i);
      if (!(c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
        throw new IllegalArgumentException("'" + text + "' is not an IP address range");
      }
    }
    if (!addressText.contains(":") && addressText.split("\\.", -1).length != 4) {
      throw new IllegalArgumentException("'" + text + "': write IPv4 addresses as a.b.c.d");
    }
    byte[] address;
    try {
      address = InetAddress.getByName(addressText).getAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("'" + text + "' is not an IP address range");
    }
    int max = address.length * 8;
    int prefix = max;
    if (slash >= 0) {
      try {
        prefix = Integer.parseInt(text.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + text + "': the prefix length is not a number");
      }
      if (prefix < 0 || prefix > max) {
        throw new IllegalArgumentException("'" + text + "': the prefix length must be 0.." + max);
      }
    }
    return new AddressRange(address, prefix, text);
  }

  public boolean contains(InetAddress address) {
    byte[] candidate = address.getAddress();
    if (candidate.length != network.length) {
      return false;
    }
    int full = prefixLength / 8;
    for (int i = 0; i < full; i++) {
      if (candidate[i] != network[i]) {
        return false;
      }
    }
    int rest = prefixLength % 8;
    if (rest == 0) {
      return true;
    }
    int mask = 0xff << (8 - rest) & 0xff;
    return (candidate[full] & mask) == (network[full] & mask);
  }

  @Override
  public String toString() {
    return text;
  }
}

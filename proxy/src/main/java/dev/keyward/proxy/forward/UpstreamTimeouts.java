package dev.keyward.proxy.forward;

import java.time.Duration;

/**
 * How long the proxy waits on an upstream.
 *
 * @param connect TCP and TLS connect
 * @param firstByte from the end of the request body to the response headers
 * @param idle no bytes in either direction, at any point of the exchange
 */
public record UpstreamTimeouts(Duration connect, Duration firstByte, Duration idle) {}

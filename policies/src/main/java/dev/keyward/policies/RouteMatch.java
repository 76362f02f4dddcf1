package dev.keyward.policies;

import java.util.Objects;
import java.util.Optional;

/**
 * The route a forward-proxy request is the call of ({@link PolicySet#routeFor}), and on a route
 * with targets the one target whose credential and upstream the request names: the call goes
 * through that target alone, with its model map and first-byte timeout.
 *
 * @param target the matched target; empty on a route with one upstream
 */
public record RouteMatch(Route route, Optional<RouteTarget> target) {

  public RouteMatch {
    Objects.requireNonNull(route, "route");
    Objects.requireNonNull(target, "target");
  }
}

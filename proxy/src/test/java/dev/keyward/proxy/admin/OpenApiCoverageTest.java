package dev.keyward.proxy.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.keyward.proxy.health.Health;
import dev.keyward.proxy.metrics.Metrics;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** docs/openapi.json and the routes the admin API registers are the same set. */
class OpenApiCoverageTest {

  final Vertx vertx = Vertx.vertx();

  @AfterEach
  void stop() {
    vertx.close();
  }

  Set<String> registered() {
    AdminApi api = new AdminApi(vertx, null, null, null, Clock.systemUTC(),
        new Health(List.of()), new Metrics(), JsonArray::new);
    Set<String> operations = new TreeSet<>();
    for (Route route : api.router().getRoutes()) {
      if (route.getPath() == null || route.methods() == null) {
        continue; // the body handler, on every route
      }
      String path = route.getPath().replaceAll(":([a-z]+)", "{$1}");
      for (HttpMethod method : route.methods()) {
        operations.add(method.name() + " " + path);
      }
    }
    return operations;
  }

  Set<String> documented() throws Exception {
    JsonObject doc = new JsonObject(Files.readString(Path.of("..", "docs", "openapi.json")));
    Set<String> operations = new TreeSet<>();
    JsonObject paths = doc.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      for (String method : paths.getJsonObject(path).fieldNames()) {
        operations.add(method.toUpperCase(Locale.ROOT) + " " + path);
      }
    }
    return operations;
  }

  @Test
  void everyRegisteredRouteIsDocumentedAndEveryDocumentedRouteIsRegistered() throws Exception {
    assertEquals(documented(), registered());
  }
}

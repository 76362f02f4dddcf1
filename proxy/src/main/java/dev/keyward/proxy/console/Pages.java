package dev.keyward.proxy.console;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import java.util.Map;

/**
 * Renders the console's templates ({@code src/main/jte/console}), compiled to classes at build
 * time. Every value is escaped for where it lands (text, attribute), so what agents wrote (paths,
 * model names, reasons) is shown as text, never as markup.
 */
public final class Pages {

  private final TemplateEngine engine = TemplateEngine.createPrecompiled(ContentType.Html);

  /** A page: {@code console/<name>.jte} with its frame and its view. */
  public String render(String name, Frame frame, Object view) {
    StringOutput out = new StringOutput(16 * 1024);
    engine.render("console/" + name + ".jte", Map.of("frame", frame, "view", view), out);
    return out.toString();
  }
}

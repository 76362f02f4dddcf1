package dev.keyward.proxy.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's headless Chromium, driven through Debian's chromedriver by Selenium: the browser the
 * console's tests use. Nothing is downloaded: both binaries must be installed ({@code apt-get
 * install chromium chromium-driver}); Selenium Manager is never asked, since the driver's path is
 * given. Without them the calling tests are skipped with a message saying so; with {@value
 * #REQUIRE}{@code =1} (set by {@code .ci/run}) they fail instead. The browser talks to nothing but
 * 127.0.0.1: its background services are switched off.
 */
public final class Browser implements AutoCloseable {

  public static final String REQUIRE = "KEYWARD_REQUIRE_BROWSER";
  /** Where screenshots go, as test artifacts. */
  public static final Path SCREENSHOTS = Path.of("target", "console-screenshots");
  private static final List<String> CHROMIUM = List.of("/usr/bin/chromium",
      "/usr/bin/chromium-browser");
  private static final List<String> DRIVER = List.of("/usr/bin/chromedriver",
      "/usr/lib/chromium/chromedriver");

  private final ChromeDriver driver;
  private final Path profile;

  private Browser(ChromeDriver driver, Path profile) {
    this.driver = driver;
    this.profile = profile;
  }

  /** Starts the browser, or skips (fails, with {@value #REQUIRE}=1) when it is not installed. */
  public static Browser startOrSkip() throws IOException {
    String chromium = find("KEYWARD_CHROMIUM", CHROMIUM);
    String driverPath = find("KEYWARD_CHROMEDRIVER", DRIVER);
    if (chromium == null || driverPath == null) {
      String message = "the console's browser tests need Debian's chromium and chromium-driver"
          + " (apt-get install chromium chromium-driver), or KEYWARD_CHROMIUM and"
          + " KEYWARD_CHROMEDRIVER naming the binaries; not found: "
          + (chromium == null ? "chromium " : "") + (driverPath == null ? "chromedriver" : "");
      if ("1".equals(System.getenv(REQUIRE))) {
        fail(message + ", but " + REQUIRE + "=1 requires them");
      }
      Assumptions.abort(message + ". Skipped; set " + REQUIRE + "=1 to make this a failure.");
    }
    Files.createDirectories(SCREENSHOTS);
    Path profile = Files.createTempDirectory("keyward-chromium-");
    ChromeOptions options = new ChromeOptions()
        .setBinary(chromium)
        .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
            "--disable-gpu", "--window-size=1360,900", "--user-data-dir=" + profile,
            "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-default-apps", "--disable-domain-reliability",
            "--disable-client-side-phishing-detection", "--metrics-recording-only",
            "--password-store=basic", "--lang=en-US");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    options.setExperimentalOption("prefs", Map.of("credentials_enable_service", false,
        "profile.password_manager_enabled", false));
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(driverPath))
        .usingAnyFreePort()
        .withLogFile(Path.of("target", "chromedriver.log").toFile())
        .build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
    return new Browser(driver, profile);
  }

  private static String find(String env, List<String> candidates) {
    String named = System.getenv(env);
    if (named != null && !named.isBlank()) {
      return Files.isExecutable(Path.of(named)) ? named : null;
    }
    return candidates.stream().filter(c -> Files.isExecutable(Path.of(c))).findFirst()
        .orElse(null);
  }

  public WebDriver driver() {
    return driver;
  }

  public Browser open(String url) {
    driver.get(url);
    return this;
  }

  /**
   * Clicks what leads to another page (a link, a submit button) and waits until that page has
   * loaded: the old page's document gone, the new one complete.
   */
  public Browser follow(String css) {
    return follow(find(css));
  }

  public Browser follow(WebElement element) {
    WebElement page = driver.findElement(By.tagName("html"));
    element.click();
    awaitNextPage(page);
    return this;
  }

  /** Runs a script that navigates (submits a form), and waits for the next page as above. */
  public Browser navigateByScript(String script, Object... args) {
    WebElement page = driver.findElement(By.tagName("html"));
    script(script, args);
    awaitNextPage(page);
    return this;
  }

  /** Waits until {@code page} (the old page's root) is gone and the new page has loaded. */
  private void awaitNextPage(WebElement page) {
    WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
    wait.until(d -> gone(page));
    wait.until(d -> "complete".equals(((JavascriptExecutor) d)
        .executeScript("return document.readyState;")));
  }

  /**
   * Whether an element's document is gone. Mid-navigation Chromium may answer not "stale" but
   * "Node with given id does not belong to the document", which says the same.
   */
  private static boolean gone(WebElement element) {
    try {
      element.isEnabled();
      return false;
    } catch (StaleElementReferenceException e) {
      return true;
    } catch (WebDriverException e) {
      if (String.valueOf(e.getMessage()).contains("does not belong to the document")) {
        return true;
      }
      throw e;
    }
  }

  public WebElement find(String css) {
    return driver.findElement(By.cssSelector(css));
  }

  public List<WebElement> findAll(String css) {
    return driver.findElements(By.cssSelector(css));
  }

  /** The visible text of the whole page. */
  public String text() {
    return driver.findElement(By.tagName("body")).getText();
  }

  /** Runs a script in the page (as a test's own hands, outside the page's CSP). */
  public Object script(String script, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(script, args);
  }

  /** Saves the page as {@code target/console-screenshots/<name>.png}. */
  public Path screenshot(String name) throws IOException {
    Path file = SCREENSHOTS.resolve(name + ".png");
    Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
    return file;
  }

  /** The browser console's messages since the last call (CSP violations show here). */
  public List<String> consoleMessages() {
    return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
        .map(LogEntry::toString).toList();
  }

  /** Signs out of every session: the next test starts with no cookie. */
  public void forgetCookies() {
    driver.manage().deleteAllCookies();
  }

  @Override
  public void close() throws IOException {
    try {
      driver.quit();
    } finally {
      try (var files = Files.walk(profile)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}

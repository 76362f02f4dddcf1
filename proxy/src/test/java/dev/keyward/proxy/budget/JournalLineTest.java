package dev.keyward.proxy.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class JournalLineTest {

  @Test
  void aLineReplaysTheCallsItHoldsWhateverTheCharactersOfItsKeys() throws IOException {
    String key = "b:agent:\"quoted\" back\\slash\ttab é 😀:month-2026-12";
    StringBuilder out = new StringBuilder();
    JournalLine line = new JournalLine(out);
    line.call("h", 7).arg(key).arg(1000).arg("r-1").arg(50).arg(900);
    line.call("c", 7).arg(key).arg(1000).arg(3);
    line.call("o", 7).arg("r-1").arg(2000);
    line.end();
    CounterTable table = new CounterTable();
    assertEquals(7, JournalLine.replay(out.toString().strip(), 6, table));
    assertEquals(50, table.get(key).held);
    assertEquals(3, table.get(key).value);
    assertEquals(1, table.openCount());
  }

  @Test
  void aLineTheSnapshotHoldsIsSkipped() throws IOException {
    CounterTable table = new CounterTable();
    assertEquals(7, JournalLine.replay("[7,\"c\",\"k\",1000,3]", 7, table));
    assertEquals(null, table.get("k"));
  }

  @Test
  void aLineWithAnUnknownCallOrMissingArgumentsIsCorrupt() {
    assertThrows(IOException.class,
        () -> JournalLine.replay("[8,\"z\",\"k\"]", 0, new CounterTable()));
    assertThrows(IOException.class,
        () -> JournalLine.replay("[8,\"c\",\"k\",1000]", 0, new CounterTable()));
  }
}

package dev.graft.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class NarrowRowsTest {
  /**
   * For every width and every starting column a vector of any width up to MAX_LANES can start
   * at, the maps give the row offset and column of each lane of a flat run of elements.
   */
  @Test
  void mapsGiveTheRowAndColumnOfEveryLane() {
    for (int width = 1; width < NarrowRows.MAX_LANES; width++) {
      int[] columns = NarrowRows.remainders(width);
      int[] rows = NarrowRows.quotients(width);
      for (int start = 0; start < width; start++) {
        for (int lane = 0; lane < NarrowRows.MAX_LANES; lane++) {
          int flat = 5 * width + start + lane; // row 5, column start, then lane elements on
          String where = "width " + width + ", column " + start + ", lane " + lane;
          assertEquals(flat % width, columns[start + lane], where);
          assertEquals(flat / width, 5 + rows[start + lane], where);
        }
      }
    }
  }
}

package dev.graft.examples.lm;

import java.util.LinkedHashMap;
import java.util.Map;

/** A strict parser of flat JSON objects whose values are numbers or null, for the metrics tests. */
final class Json {
  private final String s;
  private int i;

  private Json(String s) {
    this.s = s;
  }

  /** The object's members; a null value maps to NaN. */
  static Map<String, Double> parseFlatObject(String text) {
    Json p = new Json(text);
    Map<String, Double> out = new LinkedHashMap<>();
    p.expect('{');
    p.ws();
    if (p.peek() == '}') {
      p.i++;
    } else {
      do {
        p.ws();
        p.expect('"');
        int start = p.i;
        while (p.s.charAt(p.i) != '"') p.i++;
        String key = p.s.substring(start, p.i++);
        p.ws();
        p.expect(':');
        p.ws();
        double value;
        if (p.s.startsWith("null", p.i)) {
          p.i += 4;
          value = Double.NaN;
        } else {
          int from = p.i;
          while (p.i < p.s.length() && "+-0123456789.eE".indexOf(p.s.charAt(p.i)) >= 0) p.i++;
          if (from == p.i) throw new IllegalArgumentException("expected a number at " + from + ": " + text);
          value = Double.parseDouble(p.s.substring(from, p.i));
        }
        if (out.put(key, value) != null) throw new IllegalArgumentException("duplicate key " + key);
        p.ws();
      } while (p.tryConsume(','));
      p.expect('}');
    }
    p.ws();
    if (p.i != p.s.length()) throw new IllegalArgumentException("trailing text: " + text);
    return out;
  }

  private char peek() {
    return i < s.length() ? s.charAt(i) : 0;
  }

  private void ws() {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
  }

  private boolean tryConsume(char c) {
    ws();
    if (peek() == c) {
      i++;
      return true;
    }
    return false;
  }

  private void expect(char c) {
    if (!tryConsume(c)) throw new IllegalArgumentException("expected '" + c + "' at " + i + ": " + s);
  }
}

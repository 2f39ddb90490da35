package dev.graft.processor.codegen;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads the bytecode length of every method of a class file (the Code attribute's code_length). */
final class ClassFileMethods {
  private ClassFileMethods() {}

  /** {@code name+descriptor} → code length in bytes, for methods that have code. */
  static Map<String, Integer> codeLengths(byte[] classFile) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(classFile))) {
      if (in.readInt() != 0xCAFEBABE) throw new IllegalArgumentException("not a class file");
      in.readUnsignedShort(); // minor
      in.readUnsignedShort(); // major
      int count = in.readUnsignedShort();
      String[] utf8 = new String[count];
      for (int i = 1; i < count; i++) {
        int tag = in.readUnsignedByte();
        switch (tag) {
          case 1 -> utf8[i] = in.readUTF();
          case 3, 4, 9, 10, 11, 12, 17, 18 -> in.skipBytes(4);
          case 5, 6 -> {
            in.skipBytes(8);
            i++; // takes two slots
          }
          case 7, 8, 16, 19, 20 -> in.skipBytes(2);
          case 15 -> in.skipBytes(3);
          default -> throw new IllegalArgumentException("constant pool tag " + tag);
        }
      }
      in.skipBytes(6); // access, this, super
      in.skipBytes(2 * in.readUnsignedShort()); // interfaces
      int fields = in.readUnsignedShort();
      for (int i = 0; i < fields; i++) {
        in.skipBytes(6);
        skipAttributes(in);
      }
      Map<String, Integer> out = new LinkedHashMap<>();
      int methods = in.readUnsignedShort();
      for (int i = 0; i < methods; i++) {
        in.skipBytes(2);
        String name = utf8[in.readUnsignedShort()];
        String descriptor = utf8[in.readUnsignedShort()];
        int attributes = in.readUnsignedShort();
        for (int a = 0; a < attributes; a++) {
          String attr = utf8[in.readUnsignedShort()];
          int length = in.readInt();
          if (attr.equals("Code")) {
            in.skipBytes(4); // max_stack, max_locals
            int codeLength = in.readInt();
            out.put(name + descriptor, codeLength);
            in.skipBytes(length - 8);
          } else {
            in.skipBytes(length);
          }
        }
      }
      return out;
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static void skipAttributes(DataInputStream in) throws IOException {
    int n = in.readUnsignedShort();
    for (int i = 0; i < n; i++) {
      in.skipBytes(2);
      in.skipBytes(in.readInt());
    }
  }
}

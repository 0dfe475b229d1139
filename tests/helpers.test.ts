// The shared assertions of tests/helpers.ts fail when they should: a helper that cannot fail checks nothing.
import { describe, expect, it } from "vitest";
import { expectRejects, expectThrows } from "./helpers.js";

class ParseError extends Error {}
class StrictParseError extends ParseError {}
const Twin = { ParseError: class ParseError extends Error {} }.ParseError;

const throwing = (e: unknown) => () => {
  throw e;
};

describe("expectThrows", () => {
  it("returns the error when its class, message and pattern match", () => {
    const error = new ParseError("line 3: unexpected `)`");
    expect(expectThrows(throwing(error), ParseError, "line 3: unexpected `)`")).toBe(error);
    expect(expectThrows(throwing(error), ParseError, /^line \d+: unexpected/)).toBe(error);
  });

  it("fails on another class, a subclass or a same-named class, naming what was thrown", () => {
    expect(() => expectThrows(throwing(new TypeError("x")), ParseError, "x")).toThrow('expected ParseError ("x"), got TypeError ("x")');
    expect(() => expectThrows(throwing(new StrictParseError("x")), ParseError, "x")).toThrow('got StrictParseError ("x")');
    expect(() => expectThrows(throwing(new Twin("x")), ParseError, "x")).toThrow("a different class of the same name");
    expect(() => expectThrows(throwing("x"), ParseError, "x")).toThrow("got the non-error x");
  });

  it("fails on another message, a message the pattern misses, or a message of several lines", () => {
    expect(() => expectThrows(throwing(new ParseError("line 3: unexpected `)`")), ParseError, "line 3")).toThrow("message of the ParseError");
    expect(() => expectThrows(throwing(new ParseError("line 3")), ParseError, /^column/)).toThrow("message of the ParseError");
    expect(() => expectThrows(throwing(new ParseError("line 3\n  at f()")), ParseError, /^line 3/)).toThrow("message is one line");
  });

  it("fails when nothing is thrown, or when the function returns a promise instead", () => {
    expect(() => expectThrows(() => 1, ParseError, "x")).toThrow("but nothing was thrown");
    expect(() => expectThrows(() => Promise.reject(new ParseError("x")), ParseError, "x")).toThrow("use expectRejects");
  });
});

describe("expectRejects", () => {
  it("returns the rejection when its class and message match", async () => {
    const error = new ParseError("bad header");
    expect(await expectRejects(Promise.reject(error), ParseError, "bad header")).toBe(error);
  });

  it("fails when the promise resolves, or rejects with another class or message", async () => {
    await expect(expectRejects(Promise.resolve(1), ParseError, "x")).rejects.toThrow("but the promise resolved");
    await expect(expectRejects(Promise.reject(new RangeError("x")), ParseError, "x")).rejects.toThrow("got RangeError");
    await expect(expectRejects(Promise.reject(new ParseError("y")), ParseError, "x")).rejects.toThrow("message of the ParseError");
  });
});

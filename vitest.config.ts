import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // Property tests run hundreds of programs each; the default 5 s is too tight on a 2-core CI machine.
    testTimeout: 60_000,
    pool: "threads",
  },
});

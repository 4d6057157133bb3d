/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The daemon serves dist/ at `/` (relayer/src/telemetry/console.rs): hashed files under
// assets/ are cached forever, index.html never. A relative base keeps the console working
// behind a reverse proxy that mounts the daemon under a path prefix.
export default defineConfig({
  base: "./",
  plugins: [react()],
  build: {
    outDir: "dist",
    assetsDir: "assets",
    target: "es2020",
    sourcemap: false,
    reportCompressedSize: true,
  },
  server: {
    // `npm run dev` against a local daemon: STATESET_API=http://127.0.0.1:3001 npm run dev
    proxy: process.env.STATESET_API
      ? { "/graphql": { target: process.env.STATESET_API, ws: true } }
      : undefined,
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
  },
});

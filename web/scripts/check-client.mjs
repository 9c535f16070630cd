// Fail when the API's current schema differs from the one the client was generated from,
// or when the committed types no longer match that schema. Usage:
//   node scripts/check-client.mjs <current-openapi.json>
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
const current = process.argv[2];
if (!current) {
  console.error("usage: node scripts/check-client.mjs <current-openapi.json>");
  process.exit(2);
}
const committed = JSON.parse(readFileSync(join(web, "openapi.json"), "utf8"));
if (!isDeepStrictEqual(JSON.parse(readFileSync(current, "utf8")), committed)) {
  console.error("web/openapi.json is not the API's current schema: run `make web-client`");
  process.exit(1);
}
const fresh = join(mkdtempSync(join(tmpdir(), "quantdesk-client-")), "schema.d.ts");
const cli = join(web, "node_modules", ".bin", "openapi-typescript");
execFileSync(cli, [join(web, "openapi.json"), "--default-non-nullable", "false", "-o", fresh], { stdio: "ignore" });
if (readFileSync(fresh, "utf8") !== readFileSync(join(web, "src/api/schema.d.ts"), "utf8")) {
  console.error("web/src/api/schema.d.ts was not generated from web/openapi.json: run `make web-client`");
  process.exit(1);
}
console.log("API client matches the API's OpenAPI schema");

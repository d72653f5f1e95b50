// Compiles the escrow suite's fixtures to committed artefacts (artifacts/*.bin, *.abi), so the e2e
// tests need no npm at run time. Run `npm ci && node compile.js` here (versions pinned in
// package.json and package-lock.json: solc 0.8.26, @openzeppelin/contracts 5.1.0).
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const here = __dirname;
const file = "contracts/EscrowFixtures.sol";
const wanted = ["TestToken", "FeeOnTransferToken", "FalseToken", "ReentrantToken", "PutWriter"];

function findImport(p) {
  const f = path.join(here, "node_modules", p);
  if (fs.existsSync(f)) return { contents: fs.readFileSync(f, "utf8") };
  return { error: `not found: ${p}` };
}

const input = {
  language: "Solidity",
  sources: { [file]: { content: fs.readFileSync(path.join(here, file), "utf8") } },
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: "cancun",
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
  },
};
const out = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));
const errors = (out.errors || []).filter((e) => e.severity === "error");
if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
fs.mkdirSync(path.join(here, "artifacts"), { recursive: true });
for (const name of wanted) {
  const c = out.contracts[file][name];
  fs.writeFileSync(path.join(here, "artifacts", `${name}.bin`), c.evm.bytecode.object + "\n");
  fs.writeFileSync(path.join(here, "artifacts", `${name}.abi`), JSON.stringify(c.abi, null, 2) + "\n");
  console.log(`${name}: ${c.evm.bytecode.object.length / 2} bytes of init code (solc ${solc.version()})`);
}

// Compiles the Solidity peers of the PricingEngine to committed artefacts (artifacts/*.bin, *.abi),
// so the benchmark and CI need no npm at run time. Run `npm ci && node compile.js` here.
//
// Each peer is compiled with the solc its project pins: Lyra 0.8.9 (optimizer, 10,000 runs, as in
// Lyra's hardhat config), solstat 0.8.13 (optimizer, via-IR).
"use strict";
const fs = require("fs");
const path = require("path");

const here = __dirname;
const modules = path.join(here, "node_modules");

// Resolves imports: our contracts, the shim for solstat's old solmate import, then node_modules.
function findImport(p) {
  for (const base of [here, path.join(here, "shim"), modules]) {
    const f = path.join(base, p);
    if (fs.existsSync(f)) return { contents: fs.readFileSync(f, "utf8") };
  }
  return { error: `not found: ${p}` };
}

function compile(solcPackage, file, settings, wanted) {
  const solc = require(solcPackage);
  const input = {
    language: "Solidity",
    sources: { [file]: { content: fs.readFileSync(path.join(here, file), "utf8") } },
    settings: {
      ...settings,
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.methodIdentifiers"] } },
    },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));
  const errors = (out.errors || []).filter((e) => e.severity === "error");
  if (errors.length) {
    throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  }
  for (const [source, name] of wanted) {
    const c = out.contracts[source][name];
    fs.writeFileSync(path.join(here, "artifacts", `${name}.bin`), c.evm.bytecode.object + "\n");
    fs.writeFileSync(path.join(here, "artifacts", `${name}.abi`), JSON.stringify(c.abi, null, 2) + "\n");
    console.log(`${name}: ${c.evm.bytecode.object.length / 2} bytes of init code (solc ${solc.version()})`);
  }
}

fs.mkdirSync(path.join(here, "artifacts"), { recursive: true });
compile(
  "solc-0.8.9",
  "contracts/LyraHarness.sol",
  { optimizer: { enabled: true, runs: 10000 } },
  [
    ["contracts/LyraHarness.sol", "LyraHarness"],
    ["@lyrafinance/protocol/contracts/libraries/BlackScholes.sol", "BlackScholes"],
  ],
);
compile(
  "solc-0.8.13",
  "contracts/SolstatHarness.sol",
  { optimizer: { enabled: true, runs: 10000 }, viaIR: true },
  [["contracts/SolstatHarness.sol", "SolstatHarness"]],
);

// Compiles the devnet's Solidity sources with the pinned solc (see compile.sh) and writes, next
// to each source, `<Contract>.bin` (creation code) and `<Contract>.bin-runtime` as hex.
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const files = process.argv.slice(2);
const sources = {};
for (const file of files) {
  sources[path.basename(file)] = { content: fs.readFileSync(file, "utf8") };
}
const input = {
  language: "Solidity",
  sources,
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: "cancun",
    outputSelection: { "*": { "*": ["evm.bytecode.object", "evm.deployedBytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
let failed = false;
for (const message of output.errors || []) {
  console.error(message.formattedMessage);
  if (message.severity === "error") failed = true;
}
if (failed) process.exit(1);
for (const file of files) {
  const contracts = output.contracts[path.basename(file)] || {};
  for (const [name, artefact] of Object.entries(contracts)) {
    if (!artefact.evm.bytecode.object) continue; // interfaces
    const dir = path.dirname(file);
    fs.writeFileSync(path.join(dir, `${name}.bin`), artefact.evm.bytecode.object + "\n");
    fs.writeFileSync(path.join(dir, `${name}.bin-runtime`), artefact.evm.deployedBytecode.object + "\n");
    console.log(`${file}: ${name}`);
  }
}
console.log(`solc ${solc.version()}`);

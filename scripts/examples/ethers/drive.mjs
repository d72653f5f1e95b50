// An ethers.js (v6) user driving the deployed protocol.
//
//   node drive.mjs [deployments/local.json]
//
// RPC_URL (default http://127.0.0.1:8547) and PRIVATE_KEY (default: the local devnet's first
// public dev key) choose the node and the account. The addresses come from the record the
// `options deploy` command writes. Prints one JSON object of what it saw, for scripts and tests.
import { readFileSync } from "node:fs";
import { ethers } from "ethers";

const DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

// Fragments of the interfaces declared in contracts/abi (the same signatures and errors).
const GOVERNANCE = [
  "function getSigners() view returns (address[])",
  "function threshold() view returns (uint256)",
  "function delay() view returns (uint256)",
];
const REGISTRY = [
  "function admin() view returns (address)",
  "function paused() view returns (bool partiallyPaused, bool fullyPaused)",
  "function setAdmin(address newAdmin)",
  "error Unauthorized(address caller)",
];
const PROXY = [
  "function proxyAdmin() view returns (address)",
  "function proxyImplementation() view returns (address)",
];
const FACTORY = [
  "function seriesCount() view returns (uint256)",
  "function escrow() view returns (address)",
];
const ESCROW = [
  "function setOperator(address operator, bool approved)",
  "function isOperator(address owner, address operator) view returns (bool)",
  "event OperatorSet(address indexed owner, address indexed operator, bool approved)",
];

const recordPath = process.argv[2] ?? "deployments/local.json";
const record = JSON.parse(readFileSync(recordPath, "utf8"));
const address = (name) => record.steps.find((s) => s.name === name)?.address;

const provider = new ethers.JsonRpcProvider(process.env.RPC_URL ?? "http://127.0.0.1:8547");
const wallet = new ethers.Wallet(process.env.PRIVATE_KEY ?? DEV_KEY, provider);
const out = { chainId: Number((await provider.getNetwork()).chainId), account: wallet.address };
if (out.chainId !== record.chainId) {
  throw new Error(`node is chain ${out.chainId}, the record is for chain ${record.chainId}`);
}

const governance = new ethers.Contract(address("governance"), GOVERNANCE, provider);
out.governance = {
  signers: await governance.getSigners(),
  threshold: Number(await governance.threshold()),
  delay: Number(await governance.delay()),
};

const registryAddress = address("registry");
const registry = new ethers.Contract(registryAddress, [...REGISTRY, ...PROXY], wallet);
const [partiallyPaused, fullyPaused] = await registry.paused();
out.registry = {
  admin: await registry.admin(),
  proxyAdmin: await registry.proxyAdmin(),
  implementation: await registry.proxyImplementation(),
  paused: { partiallyPaused, fullyPaused },
};

// A refused call comes back as the contract's custom error, decoded by ethers.
const stranger = ethers.Wallet.createRandom().connect(provider);
try {
  await registry.connect(stranger).setAdmin.staticCall(stranger.address);
  out.refusal = null;
} catch (e) {
  out.refusal = { name: e.revert?.name, args: e.revert?.args?.map(String) };
}

// Factory and escrow, once the deployment has them.
if (address("factory")) {
  const factory = new ethers.Contract(address("factory"), FACTORY, provider);
  out.factory = { seriesCount: Number(await factory.seriesCount()), escrow: await factory.escrow() };
}
if (address("escrow")) {
  const escrow = new ethers.Contract(address("escrow"), ESCROW, wallet);
  const operator = ethers.Wallet.createRandom().address;
  const receipt = await (await escrow.setOperator(operator, true)).wait();
  const event = receipt.logs.map((l) => escrow.interface.parseLog(l)).find((l) => l);
  out.escrow = {
    operatorSet: event?.name,
    isOperator: await escrow.isOperator(wallet.address, operator),
    gasUsed: Number(receipt.gasUsed),
  };
}

console.log(JSON.stringify(out, null, 2));

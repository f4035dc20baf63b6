// The official OpenAttestation tools as a judge of ours (tests only).
//
// Reads one JSON request on stdin, writes one JSON answer on stdout. Requests:
//   {op: "wrap", documents: [data...], batch: bool}        -> {wrapped: [...], texts: [...]}
//   {op: "obfuscate", document, fields: [...]}             -> {document, text}
//   {op: "verifySignature", documents: [...]}              -> {results: [bool...]}
//   {op: "verify", documents, rpc, chainId, dns: {domain: [record...]}}
//                                                          -> {results: [{valid, fragments}]}
//   {op: "title", rpc, chainId, registry, tokenId}         -> {owner, beneficiary, holder}
//   {op: "stringify", values: [...]}                       -> {texts: [JSON.stringify(v)...]}
//   {op: "numbers", values: [...]}                         -> {texts: [String(v)...]}
//
// oa-verify is given an ethers v5 provider pointed at the test's anvil (chain id 1337) and a
// DNS resolver that answers from the request: nothing leaves the machine. ethers v5 is the
// copy oa-verify itself depends on (the top-level ethers is token-registry's v6).
"use strict";
const { createRequire } = require("module");
const path = require("path");

const root = path.resolve(__dirname, "../../../..");
const requireRoot = createRequire(path.join(root, "package.json"));

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (c) => chunks.push(c));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}

function ethersV5() {
  const verifyRequire = createRequire(requireRoot.resolve("@govtechsg/oa-verify"));
  return verifyRequire("ethers");
}

function provider(rpc, chainId) {
  const { providers } = ethersV5();
  return new providers.StaticJsonRpcProvider(rpc, { chainId, name: "unknown" });
}

function dnsResolver(records) {
  return async (domain) => ({
    AD: false,
    Answer: (records[domain] || []).map((data) => ({ name: domain, type: 16, TTL: 300, data: `"${data}"` })),
  });
}

async function handle(req) {
  const oa = requireRoot("@govtechsg/open-attestation");
  switch (req.op) {
    case "wrap": {
      const wrapped = req.batch ? oa.wrapDocuments(req.documents) : req.documents.map((d) => oa.wrapDocument(d));
      return { wrapped, texts: wrapped.map((w) => JSON.stringify(w)) };
    }
    case "obfuscate": {
      const document = oa.obfuscateDocument(req.document, req.fields);
      return { document, text: JSON.stringify(document) };
    }
    case "verifySignature":
      return { results: req.documents.map((d) => oa.verifySignature(d)) };
    case "verify": {
      const verify = requireRoot("@govtechsg/oa-verify");
      const verifier = verify.verificationBuilder(verify.openAttestationVerifiers, {
        provider: provider(req.rpc, req.chainId),
        dnsResolvers: [dnsResolver(req.dns || {})],
      });
      const results = [];
      for (const document of req.documents) {
        const fragments = await verifier(document);
        results.push({
          valid: verify.isValid(fragments),
          fragments: fragments.map((f) => ({ name: f.name, type: f.type, status: f.status, reason: f.reason, data: f.data })),
        });
      }
      return { results };
    }
    case "title": {
      const { Contract } = ethersV5();
      const artifacts = path.join(root, "node_modules/@tradetrust-tt/token-registry/dist/artifacts");
      const tokenAbi = require(path.join(artifacts, "TradeTrustToken.sol/TradeTrustToken.json")).abi;
      const escrowAbi = require(path.join(artifacts, "TitleEscrow.sol/TitleEscrow.json")).abi;
      const p = provider(req.rpc, req.chainId);
      const owner = await new Contract(req.registry, tokenAbi, p).ownerOf(req.tokenId);
      const escrow = new Contract(owner, escrowAbi, p);
      return { owner, beneficiary: await escrow.beneficiary(), holder: await escrow.holder() };
    }
    case "stringify":
      return { texts: req.values.map((v) => JSON.stringify(v)) };
    case "numbers":
      return { texts: req.values.map((v) => String(v)) };
    default:
      throw new Error(`unknown op ${req.op}`);
  }
}

readStdin()
  .then((text) => handle(JSON.parse(text)))
  .then((answer) => process.stdout.write(JSON.stringify(answer)))
  .catch((e) => {
    process.stderr.write(String(e && e.stack ? e.stack : e) + "\n");
    process.exit(1);
  });

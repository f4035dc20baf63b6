// The official library's own wrap rate, for `tdx bench oa`: wrapDocuments on batches of
// copies of one document, timed after one warm-up batch (so JIT compilation is not counted,
// as nothing is on the Python side). Reads {data, batchSize, batches} on stdin and writes
// {documents, seconds, perSecond, version} on stdout. Run from the project root.
"use strict";
const { createRequire } = require("module");
const path = require("path");

const requireRoot = createRequire(path.join(process.cwd(), "package.json"));
const oa = requireRoot("@govtechsg/open-attestation");
const version = requireRoot("@govtechsg/open-attestation/package.json").version;

const chunks = [];
process.stdin.on("data", (c) => chunks.push(c));
process.stdin.on("end", () => {
  const { data, batchSize, batches } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const batch = Array.from({ length: batchSize }, () => data);
  oa.wrapDocuments(batch.slice(0, Math.min(100, batchSize)));
  const started = process.hrtime.bigint();
  for (let i = 0; i < batches; i += 1) oa.wrapDocuments(batch);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const documents = batchSize * batches;
  process.stdout.write(JSON.stringify({ documents, seconds, perSecond: documents / seconds, version }));
});

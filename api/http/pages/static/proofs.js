// The Document page: each of the document's ledger entries is checked in this browser
// against the checkpoint shown: RFC 9162 inclusion proofs with SHA-256 from WebCrypto, the
// batch path of a document anchored in a batch, and, where the browser has Ed25519 in
// WebCrypto, the checkpoint's signature by the node's key. No library, no server help.
"use strict";
(function () {
  const holder = document.getElementById("proof-data");
  if (!holder) return;
  const data = JSON.parse(holder.textContent);
  const m = data.messages;
  const summary = document.getElementById("proof-summary");
  const sigResult = document.getElementById("signature-result");
  const LEAF = new Uint8Array([0]);
  const NODE = new Uint8Array([1]);

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, key) { return String(values[key]); });
  }
  function b64(text) {
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function hex(text) {
    const out = new Uint8Array(text.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(2 * i, 2), 16);
    return out;
  }
  function equal(a, b) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  async function sha256() {
    let size = 0;
    for (const part of arguments) size += part.length;
    const buf = new Uint8Array(size);
    let at = 0;
    for (const part of arguments) { buf.set(part, at); at += part.length; }
    return new Uint8Array(await crypto.subtle.digest("SHA-256", buf));
  }
  // RFC 9162 section 2.1.3.2: verifying an inclusion proof.
  async function included(leafHash, index, size, path, root) {
    if (index >= size) return false;
    let fn = index;
    let sn = size - 1;
    let r = leafHash;
    for (const p of path) {
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        r = await sha256(NODE, p, r);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
        }
      } else {
        r = await sha256(NODE, r, p);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    return sn === 0 && equal(r, root);
  }
  function readNote(note) {
    const split = note.lastIndexOf("\n\n");
    const body = note.slice(0, split + 1);
    const lines = body.split("\n");
    const signatures = note.slice(split + 2).split("\n").filter(Boolean).map(function (line) {
      const rest = line.replace(/^\u2014 /, "");
      const space = rest.indexOf(" ");
      return { name: rest.slice(0, space), blob: b64(rest.slice(space + 1)) };
    });
    return { body: body, origin: lines[0], size: parseInt(lines[1], 10), root: b64(lines[2]), signatures: signatures };
  }
  async function checkSignature(cp) {
    if (!sigResult) return;
    const parts = data.key.split("+");
    const name = parts[0];
    const keyId = hex(parts[1]);
    const key = b64(parts.slice(2).join("+"));
    const mine = cp.signatures.find(function (s) { return s.name === name && equal(s.blob.slice(0, 4), keyId); });
    if (!mine || key[0] !== 1) { sigResult.textContent = m.signature_bad; return; }
    try {
      const pub = await crypto.subtle.importKey("raw", key.slice(1), { name: "Ed25519" }, false, ["verify"]);
      const ok = await crypto.subtle.verify({ name: "Ed25519" }, pub, mine.blob.slice(4), new TextEncoder().encode(cp.body));
      sigResult.textContent = ok ? m.signature_ok : m.signature_bad;
      sigResult.dataset.result = ok ? "ok" : "bad";
    } catch (e) {
      sigResult.textContent = m.signature_unsupported;
      sigResult.dataset.result = "unsupported";
    }
  }
  async function run() {
    if (!window.crypto || !crypto.subtle) { if (summary) summary.textContent = m.no_crypto; return; }
    const cp = readNote(data.checkpoint);
    let proven = 0;
    for (const entry of data.entries) {
      const cell = document.querySelector('.proof[data-entry="' + entry.index + '"]');
      const leaf = await sha256(LEAF, b64(entry.leaf));
      const ok = await included(leaf, entry.index, cp.size, entry.inclusionProof.map(hex), cp.root);
      if (ok) proven += 1;
      if (cell) {
        cell.textContent = ok ? fill(m.proven, { size: cp.size }) : m.failed;
        cell.dataset.result = ok ? "proven" : "failed";
      }
    }
    let text = fill(m.summary, { proven: proven, total: data.entries.length, size: cp.size });
    if (data.batch) {
      const b = data.batch;
      const leaf = await sha256(LEAF, new TextEncoder().encode(data.document));
      const ok = await included(leaf, b.position, b.size, b.inclusionProof.map(hex), hex(b.root.replace("sha256:", "")));
      text += " " + (ok ? m.batch_ok : m.batch_bad);
    }
    if (summary) {
      summary.textContent = text;
      summary.dataset.proven = String(proven);
      summary.dataset.total = String(data.entries.length);
    }
    await checkSignature(cp);
  }
  run();
})();

// The official JS Hub client (@huggingface/hub from npm) driven against the fake Hub, as a conformance
// peer for hezar. Usage (HEZAR_NPM_DIR: the folder whose node_modules holds @huggingface/hub):
//   node js_peer.cjs upload   HUB_URL TOKEN REPO_ID DIR         commits every file of DIR
//   node js_peer.cjs snapshot HUB_URL TOKEN REPO_ID CACHE_DIR   snapshotDownload into a huggingface_hub cache
//   node js_peer.cjs file     HUB_URL TOKEN REPO_ID PATH OUT    downloadFile, bytes written to OUT
const fs = require("fs");
const path = require("path");
const npmDir = process.env.HEZAR_NPM_DIR || path.join(process.env.HOME || "", ".cache/hezar/npm");
console.debug = () => {};  // the client reports each download on stdout
const hub = require(path.join(npmDir, "node_modules/@huggingface/hub"));

function listFiles(dir, prefix = "") {
  let out = [];
  for (const entry of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? prefix + "/" + entry.name : entry.name;
    if (entry.isDirectory()) out = out.concat(listFiles(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

async function main() {
  const [cmd, hubUrl, token, repo, a, b] = process.argv.slice(2);
  const credentials = { accessToken: token };
  if (cmd === "upload") {
    const files = listFiles(a).map((rel) => ({ path: rel, content: new Blob([fs.readFileSync(path.join(a, rel))]) }));
    await hub.createRepo({ repo, hubUrl, ...credentials }).catch((e) => {
      if (!String(e.message).includes("already")) throw e;
    });
    const res = await hub.uploadFiles({ repo, files, hubUrl, ...credentials, commitTitle: "upload from @huggingface/hub" });
    console.log(res.commit.oid);
  } else if (cmd === "snapshot") {
    console.log(await hub.snapshotDownload({ repo, hubUrl, ...credentials, cacheDir: a }));
  } else if (cmd === "file") {
    const blob = await hub.downloadFile({ repo, path: a, hubUrl, ...credentials });
    fs.writeFileSync(b, Buffer.from(await blob.arrayBuffer()));
  } else {
    throw new Error("unknown command " + cmd);
  }
}

main().catch((e) => {
  console.error("js_peer: " + (e && e.stack ? e.stack : e));
  process.exit(1);
});

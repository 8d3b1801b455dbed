// npm side of bench/tokenizers.sh (the official Hugging Face binding, tokenizers@0.23.2): same output
// as tok_bench.cc. `single`: one await encode() per line (what a Node user calls; the binding runs it
// on the libuv pool, so UV_THREADPOOL_SIZE=1 and RAYON_NUM_THREADS=1 are set by the script), and
// `single-batch`: encodeBatch of 1024-line chunks with RAYON_NUM_THREADS=1 (no per-call overhead);
// `batch`: encodeBatch of 1024-line chunks on RAYON_NUM_THREADS threads.
// usage: node tok_bench_npm.js TOKENIZER_JSON CORPUS single|single-batch|batch THREADS [REPS]
const fs = require('fs');
const { Tokenizer } = require('tokenizers');

async function main() {
  const [tokPath, corpus, mode, threads, repsArg] = process.argv.slice(2);
  const tok = Tokenizer.fromFile(tokPath);
  const text = fs.readFileSync(corpus, 'utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l, 'utf8') + 1, 0);
  const reps = Number(repsArg || 3);
  let best = Infinity, bestCpu = Infinity, tokens = 0, checksum = 0;
  for (let r = 0; r < reps; ++r) {
    tokens = 0; checksum = 0;
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();  // all threads of the process: JS, libuv pool, rayon
    const count = (e) => { const ids = e.getIds(); tokens += ids.length; for (const id of ids) checksum += id; };
    if (mode === 'single') {
      for (const l of lines) count(await tok.encode(l));
    } else {
      for (let i = 0; i < lines.length; i += 1024) (await tok.encodeBatch(lines.slice(i, i + 1024))).forEach(count);
    }
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
    const c = process.cpuUsage(c0);
    bestCpu = Math.min(bestCpu, (c.user + c.system) / 1e6);
  }
  console.log(JSON.stringify({ side: 'npm', mode, threads: mode === 'batch' ? Number(threads) : 1, bytes, tokens,
                               seconds: Number(best.toFixed(4)), cpu_seconds: Number(bestCpu.toFixed(4)), checksum }));
}
main().catch((e) => { console.error(e); process.exit(1); });

// The ONNX Runtime peer of bench/bert_bench.cc (onnxruntime-node 1.30, CPU execution provider): the same
// BERT-base classifier exported by bench/bert_ort_export.py from the same model.safetensors, end to end like
// hezar: tokenize (npm tokenizers binding, the model's preprocessor/tokenizer.json, truncated and padded to
// 128) -> session.run -> logits, timed together. Session: intraOpNumThreads = THREADS, interOpNumThreads 1,
// sequential execution, graphOptimizationLevel 'all' (ORT's BERT fusions: attention, skip-layer-norm, gelu).
//   node bert_ort.js run MODEL_ONNX TOKENIZER_JSON TEXTS THREADS [LATENCY_REPS BATCH_REPS]
//   node bert_ort.js tokens TOKENIZER_JSON TEXTS OUT_JSON   (token ids of both batches, for bench/bert_peer.py)
// Prints `key value...` lines like bert_bench (latency_b1_s128_ms, throughput_b32_s128_seq_per_s, logits_b1, ...).
const fs = require('fs');
const ort = require('onnxruntime-node');
const { Tokenizer } = require('tokenizers');

const LENGTH = 128, BATCH = 32;

function loadTokenizer(path) {
  const tok = Tokenizer.fromFile(path);
  tok.setTruncation(LENGTH);
  tok.setPadding({ maxLength: LENGTH });  // a fixed length pads every sequence to 128, as hezar's max_length
  return tok;
}

function readTexts(path) {
  const lines = fs.readFileSync(path, 'utf8').split('\n').slice(0, BATCH);
  if (lines.length < BATCH || lines.some((l) => l === '')) throw new Error(`${path}: needs ${BATCH} lines of text`);
  return lines;
}

async function encode(tok, texts) {
  return texts.length === 1 ? [await tok.encode(texts[0])] : tok.encodeBatch(texts);
}

// Encodings -> the three int64 [n, 128] input tensors of the ONNX graph.
function feeds(encodings) {
  const n = encodings.length;
  const make = (get) => {
    const data = new BigInt64Array(n * LENGTH);
    encodings.forEach((e, i) => get(e).forEach((v, j) => { data[i * LENGTH + j] = BigInt(v); }));
    return new ort.Tensor('int64', data, [n, LENGTH]);
  };
  return { input_ids: make((e) => e.getIds()), attention_mask: make((e) => e.getAttentionMask()),
           token_type_ids: make((e) => e.getTypeIds()) };
}

async function classify(session, tok, texts) {
  const out = await session.run(feeds(await encode(tok, texts)));
  return out.logits.data;
}

// Busy and total CPU seconds of the whole machine (/proc/stat) and this process's CPU seconds.
function cpuSample() {
  const ticks = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0), hz = 100;  // USER_HZ is 100 on Linux
  const own = process.cpuUsage();
  return { busy: (total - ticks[3] - ticks[4]) / hz, total: total / hz, own: (own.user + own.system) / 1e6 };
}

// As bert_bench's timed(): repetitions count while other processes use <= 10% of the CPUs (at most
// 4 x reps attempts); prints `key median_ms clean K of N` and returns the median.
async function timed(key, fn, warmup, reps) {
  for (let i = 0; i < warmup; ++i) await fn();
  const clean = [], every = [];
  while (every.length < 4 * reps && clean.length < reps) {
    const a = cpuSample(), t0 = process.hrtime.bigint();
    await fn();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6, b = cpuSample();
    every.push(ms);
    if (100 * Math.max(0, (b.busy - a.busy) - (b.own - a.own)) / Math.max(b.total - a.total, 1e-9) <= 10) clean.push(ms);
  }
  const use = (clean.length ? clean : every).sort((x, y) => x - y);
  const median = use[Math.floor(use.length / 2)];
  console.log(key, median, 'clean', clean.length, 'of', every.length);
  return median;
}

async function run(modelPath, tokPath, textsPath, threads, latencyReps, batchReps) {
  const tok = loadTokenizer(tokPath);
  const texts = readTexts(textsPath), one = texts.slice(0, 1);
  const t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all' });
  console.log('load_ms', Number(process.hrtime.bigint() - t0) / 1e6);
  console.log('load_peak_rss_mb', process.resourceUsage().maxRSS / 1024);
  console.log('threads', threads);
  console.log('onnxruntime', ort.env.versions.node);
  await timed('tokenize_b1_ms', () => encode(tok, one), 3, latencyReps);
  await timed('tokenize_b32_ms', () => encode(tok, texts), 1, batchReps);
  await timed('latency_b1_s128_ms', () => classify(session, tok, one), 3, latencyReps);
  const big = await timed('batch_b32_s128_ms', () => classify(session, tok, texts), 1, batchReps);
  console.log('throughput_b32_s128_seq_per_s', BATCH * 1000 / big);
  console.log('logits_b1', Array.from(await classify(session, tok, one)).join(' '));
  console.log('logits_b32', Array.from(await classify(session, tok, texts)).join(' '));
  console.log('run_peak_rss_mb', process.resourceUsage().maxRSS / 1024);
}

async function tokens(tokPath, textsPath, outPath) {
  const tok = loadTokenizer(tokPath);
  const texts = readTexts(textsPath);
  const batch = async (t) => {
    const encodings = await encode(tok, t);
    return { input_ids: encodings.map((e) => e.getIds()), attention_mask: encodings.map((e) => e.getAttentionMask()),
             token_type_ids: encodings.map((e) => e.getTypeIds()) };
  };
  fs.writeFileSync(outPath, JSON.stringify({ b1: await batch(texts.slice(0, 1)), b32: await batch(texts) }));
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'run' && args.length >= 4) {
    await run(args[0], args[1], args[2], Number(args[3]), Number(args[4] || 30), Number(args[5] || 5));
  } else if (mode === 'tokens' && args.length === 3) {
    await tokens(...args);
  } else {
    throw new Error('usage: bert_ort.js run MODEL_ONNX TOKENIZER_JSON TEXTS THREADS [LAT_REPS BATCH_REPS] | ' +
                    'tokens TOKENIZER_JSON TEXTS OUT_JSON');
  }
}
main().catch((e) => { console.error(`bert_ort: ${e.message || e}`); process.exit(1); });

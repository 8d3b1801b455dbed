// Oracle for tests/tokenizers/oracle_test (truncation): encodes each text alone (PAIR "-") or as a pair with PAIR
// under truncation (max_length MAX, stride STRIDE, direction DIR, strategy STRATEGY) with the official
// binding and writes ids, offsets, type ids and the overflowing encodings' ids as JSON ({error} when the
// binding refuses the input).
// usage: node oracle_truncate.js TOKENIZER_JSON INPUT_JSON OUTPUT_JSON PAIR MAX STRIDE DIR STRATEGY
const fs = require('fs');
const { Tokenizer } = require('tokenizers');

async function main() {
  const [tokPath, inPath, outPath, pair, max, stride, direction, strategy] = process.argv.slice(2);
  const tok = Tokenizer.fromFile(tokPath);
  tok.setTruncation(Number(max), { stride: Number(stride), direction: direction.toLowerCase(), strategy });
  const texts = JSON.parse(fs.readFileSync(inPath, 'utf8'));
  const out = [];
  for (const text of texts) {
    let e;
    try {
      e = pair === '-' ? await tok.encode(text) : await tok.encode(text, pair);
    } catch (err) {  // e.g. OnlySecond when the second sequence is too short: hezar must refuse too
      out.push({ error: String(err.message || err) });
      continue;
    }
    out.push({ ids: Array.from(e.getIds()), offsets: e.getOffsets(), type_ids: Array.from(e.getTypeIds()),
               overflowing: e.getOverflowing().map((o) => Array.from(o.getIds())) });
  }
  fs.writeFileSync(outPath, JSON.stringify(out));
}
main().catch((err) => { console.error(err); process.exit(1); });

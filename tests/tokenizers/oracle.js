// Oracle for tests/tokenizers/oracle_test: encodes texts with the official Hugging Face binding
// (npm tokenizers) and writes ids, tokens, offsets and decoded text as JSON.
// usage: node oracle.js TOKENIZER_JSON INPUT_JSON OUTPUT_JSON   (INPUT_JSON: array of strings)
const fs = require('fs');
const { Tokenizer } = require('tokenizers');

async function main() {
  const [tokPath, inPath, outPath] = process.argv.slice(2);
  const tok = Tokenizer.fromFile(tokPath);
  const texts = JSON.parse(fs.readFileSync(inPath, 'utf8'));
  const out = [];
  for (const text of texts) {
    const e = await tok.encode(text);
    const ids = Array.from(e.getIds());
    out.push({ ids, tokens: e.getTokens(), offsets: e.getOffsets(), decoded: await tok.decode(ids, true) });
  }
  fs.writeFileSync(outPath, JSON.stringify(out));
}
main().catch((err) => { console.error(err); process.exit(1); });

// Decodes id lists with the official Hugging Face binding (npm tokenizers), for the Whisper decoding test.
// usage: node oracle_decode.js TOKENIZER_JSON INPUT_JSON OUTPUT_JSON
//   INPUT_JSON: [{"ids": [...], "skip": true|false}, ...]; OUTPUT_JSON: the decoded strings.
const fs = require('fs');
const { Tokenizer } = require('tokenizers');

async function main() {
  const [tokPath, inPath, outPath] = process.argv.slice(2);
  const tok = Tokenizer.fromFile(tokPath);
  const out = [];
  for (const item of JSON.parse(fs.readFileSync(inPath, 'utf8'))) out.push(await tok.decode(item.ids, item.skip));
  fs.writeFileSync(outPath, JSON.stringify(out));
}
main().catch((err) => { console.error(err); process.exit(1); });

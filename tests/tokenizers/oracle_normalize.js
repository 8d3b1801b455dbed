// Runs the normalizer of a tokenizer.json through the official Hugging Face binding (npm tokenizers).
// usage: node oracle_normalize.js TOKENIZER_JSON INPUT_JSON OUTPUT_JSON   (INPUT_JSON: array of strings)
const fs = require('fs');
const { Tokenizer } = require('tokenizers');

const [tokPath, inPath, outPath] = process.argv.slice(2);
const normalizer = Tokenizer.fromFile(tokPath).getNormalizer();
const texts = JSON.parse(fs.readFileSync(inPath, 'utf8'));
fs.writeFileSync(outPath, JSON.stringify(texts.map((t) => normalizer.normalizeString(t))));

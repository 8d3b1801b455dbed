// Trains a tokenizer with the official Hugging Face binding (npm tokenizers): loads TEMPLATE (a
// tokenizer.json whose model is empty), trains its model's default trainer on the files, saves OUT.
// The 0.23 node binding exposes only Tokenizer.train(files), i.e. the model's default trainer
// (BPE/WordPiece: vocab_size 30000, min_frequency 0, no special tokens; WordPiece prefix "##").
// usage: node oracle_train.js TEMPLATE_JSON OUT_JSON FILE...
const { Tokenizer } = require('tokenizers');

const [template, out, ...files] = process.argv.slice(2);
const tok = Tokenizer.fromFile(template);
tok.train(files);
tok.save(out, true);

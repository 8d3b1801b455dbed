// Oracle for tests/data/encode_words_test: pre-split words (HF's is_split_into_words) through the official
// Hugging Face binding (npm tokenizers@0.23.2). That binding's encode() takes no pre-tokenized input yet
// (its isPretokenized option is a TODO), so the oracle follows the Rust tokenizer's definition of it:
// every word is encoded on its own (added tokens, normalizer, pre-tokenizer, model; no special tokens),
// its tokens get the word's index and offsets within the word, and the post-processor's special tokens
// (found by encoding one plain word with them) go around the concatenation.
// usage: node oracle_words.js TOKENIZER_JSON INPUT_JSON OUTPUT_JSON   (INPUT_JSON: array of word arrays)
const fs = require('fs');
const { Tokenizer } = require('tokenizers');

// The special tokens the post-processor puts before and after a single sequence.
async function specialFrame(tok) {
  const e = await tok.encode('a', null, { addSpecialTokens: true });
  const mask = e.getSpecialTokensMask();
  const first = mask.indexOf(0), last = mask.lastIndexOf(0);
  const pick = (from, to) => ({ ids: e.getIds().slice(from, to), tokens: e.getTokens().slice(from, to) });
  return { before: pick(0, first), after: pick(last + 1, mask.length) };
}

async function main() {
  const [tokPath, inPath, outPath] = process.argv.slice(2);
  const tok = Tokenizer.fromFile(tokPath);
  const frame = await specialFrame(tok);
  const out = [];
  for (const words of JSON.parse(fs.readFileSync(inPath, 'utf8'))) {
    const r = { ids: [], tokens: [], word_ids: [], offsets: [] };
    const special = (part) => {
      r.ids.push(...part.ids);
      r.tokens.push(...part.tokens);
      for (let k = 0; k < part.ids.length; ++k) { r.word_ids.push(null); r.offsets.push([0, 0]); }
    };
    special(frame.before);
    for (let w = 0; w < words.length; ++w) {
      const e = await tok.encode(words[w], null, { addSpecialTokens: false });
      r.ids.push(...e.getIds());
      r.tokens.push(...e.getTokens());
      r.offsets.push(...e.getOffsets());
      for (let k = 0; k < e.getLength(); ++k) r.word_ids.push(w);
    }
    special(frame.after);
    out.push(r);
  }
  fs.writeFileSync(outPath, JSON.stringify(out));
}
main().catch((err) => { console.error(err); process.exit(1); });

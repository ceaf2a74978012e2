/**
 * Builds the Hugging Face `tokenizer.json` and `tokenizer_config.json` of a lowercase BERT
 * WordPiece tokenizer from a vocabulary whose first five tokens are {@link SPECIAL_TOKENS}.
 */
import { SPECIAL_TOKENS } from './vocabulary.js';

/** Checks that `vocab` starts with the special tokens and holds no duplicates. */
export function assertValidVocabulary(vocab: readonly string[]): void {
  SPECIAL_TOKENS.forEach((token, id) => {
    if (vocab[id] !== token) throw new RangeError(`vocab[${id}] must be ${token}, got ${String(vocab[id])}`);
  });
  if (new Set(vocab).size !== vocab.length) throw new RangeError('vocab holds duplicate tokens');
}

function addedTokens(): object[] {
  return SPECIAL_TOKENS.map((content, id) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
}

function postProcessor(vocab: readonly string[]): object {
  const special = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
  const sequence = (id: 'A' | 'B', typeId: number) => ({ Sequence: { id, type_id: typeId } });
  const entry = (token: string) => ({ id: token, ids: [vocab.indexOf(token)], tokens: [token] });
  return {
    type: 'TemplateProcessing',
    single: [special('[CLS]', 0), sequence('A', 0), special('[SEP]', 0)],
    pair: [special('[CLS]', 0), sequence('A', 0), special('[SEP]', 0), sequence('B', 1), special('[SEP]', 1)],
    special_tokens: { '[CLS]': entry('[CLS]'), '[SEP]': entry('[SEP]') },
  };
}

/** The `tokenizer.json` object (tokenizers library format) for `vocab`. */
export function buildTokenizerJson(vocab: readonly string[]): object {
  assertValidVocabulary(vocab);
  const vocabMap: Record<string, number> = {};
  vocab.forEach((token, id) => {
    vocabMap[token] = id;
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens(),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: postProcessor(vocab),
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: vocabMap,
    },
  };
}

/** The `tokenizer_config.json` object of a lowercase BERT tokenizer. */
export function buildTokenizerConfig(maxPositions: number): object {
  return {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    tokenize_chinese_chars: true,
    strip_accents: null,
    clean_up_tokenization_spaces: true,
    model_max_length: maxPositions,
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    mask_token: '[MASK]',
  };
}

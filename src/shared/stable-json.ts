import { configure } from 'safe-stable-stringify';

/** JSON with sorted keys and exact bigints: how properties are printed wherever they must compare equal. */
export const stableJson = configure({ bigint: true, deterministic: true });

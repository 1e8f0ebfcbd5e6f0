/** ABIs and bytecode generated from the forge build; see scripts/gen.mjs. */
export * from './generated.ts';

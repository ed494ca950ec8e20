// The WebAssembly API this project uses. Node 20 has it, but @types/node 20 leaves it to the DOM
// library, which a Node project does not load.
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports: object);
    readonly exports: Record<string, unknown>;
  }
  class CompileError extends Error {}
}
